package tipstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tipstream.dataset.PngFrameCodec;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.FrameTensor;
import tipstream.model.TipHeatmap;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;

/**
 * Scores one heatmap checkpoint's outputs decoded several ways, on a dataset version's eval and
 * validation shards as stored on disk (the embedded S3 keeps objects as files), each with the
 * presence threshold calibrated on validation. How the decoding in {@link TipHeatmap} was chosen
 * (BENCHMARKS.md, "The main job"):
 * <pre>
 * java -cp "bench/target/bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)" tipstream.bench.DecodeProbe \
 *   .devstack/s3/tipstream/runs/RUN/checkpoints/step-000000002400.zip .devstack/s3/tipstream/datasets/lab/VERSION [worst.png]
 * </pre>
 */
public final class DecodeProbe {
    public static void main(String[] args) throws Exception {
        TipNet net = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        List<DatasetSample> eval = StoredDataset.samples(Path.of(args[1]), "eval");
        List<DatasetSample> validation = StoredDataset.samples(Path.of(args[1]), "validation");
        TipHeatmap map = (TipHeatmap) net.encoding(528, 406);
        List<float[]> evalOut = outputs(net, eval);
        List<float[]> valOut = outputs(net, validation);
        List<String> names = List.of("presence-anywhere", "presence-near-heat", "near-heat-averaged (TipHeatmap)",
                "averaged-uniform", "averaged-t2", "presence-peak", "heat+presence-peak");
        for (String name : names) {
            Function<float[], TipPrediction> decode = switch (name) {
                case "presence-anywhere" -> l -> anywhere(map, l);
                case "presence-near-heat" -> l -> nearHeat(map, l);
                case "near-heat-averaged (TipHeatmap)" -> map::decode;
                case "averaged-uniform" -> l -> averaged(map, l, 0.0);
                case "averaged-t2" -> l -> averaged(map, l, 0.5);
                case "presence-peak" -> l -> byPresence(map, l, 0);
                default -> l -> byPresence(map, l, 1);
            };
            var v = new CheckpointEvaluator.Scored(validation, valOut.stream().map(decode).toList(), Double.NaN);
            var e = new CheckpointEvaluator.Scored(eval, evalOut.stream().map(decode).toList(), Double.NaN);
            double threshold = v.calibratedThreshold();
            var m = e.evaluate(threshold);
            var t = m.metrics();
            if (name.startsWith("near-heat-averaged") && args.length > 2) {
                var sheet = tipstream.eval.WorstFrames.sheet(e, threshold, 528, 16, 4);
                if (sheet.isPresent()) {
                    ImageIO.write(sheet.get(), "png", Path.of(args[2]).toFile());
                }
            }
            System.out.printf(Locale.ROOT, "%-32s thr %.3f dist %.2f point %.3f prob %.3f overall %.3f P %.3f R %.3f"
                    + " locmed %.2f loc10 %.3f auc %.4f%n", name, threshold, t.distMean(), t.pointMean(), t.probMean(),
                    t.overallMean(), t.precision(), t.recall(), t.localisationDistMedian(), t.localisationWithinTolerance(),
                    m.rocAuc());
            if (name.startsWith("near-heat-averaged")) {
                errors(eval, e.predictions(), threshold);
            }
            var vm = v.evaluate(threshold).metrics();
            System.out.printf(Locale.ROOT, "%-32s validation: dist %.2f point %.3f prob %.3f overall %.3f locmed %.2f%n", "",
                    vm.distMean(), vm.pointMean(), vm.probMean(), vm.overallMean(), vm.localisationDistMedian());
        }
    }

    /** Where the frames that are not fully right go wrong: missed, false alarm, or placed how far off. */
    static void errors(List<DatasetSample> samples, List<TipPrediction> predictions, double threshold) {
        int missed = 0, falseAlarm = 0, n = samples.size();
        int[] bins = new int[5];
        double[] edges = {3, 10, 20, 50};
        for (int i = 0; i < n; i++) {
            DatasetSample s = samples.get(i);
            TipPrediction p = predictions.get(i);
            boolean said = p.presence() >= threshold;
            if (s.getVisible() && !said) {
                missed++;
            } else if (!s.getVisible() && said) {
                falseAlarm++;
            } else if (s.getVisible()) {
                double d = Math.hypot(p.x() - s.getTip().getX(), p.y() - s.getTip().getY());
                int b = 0;
                while (b < edges.length && d > edges[b]) {
                    b++;
                }
                bins[b]++;
            }
        }
        System.out.printf(Locale.ROOT, "%-32s of %d frames: missed %d, false alarm %d; placed <=3 px %d, 3-10 %d,"
                + " 10-20 %d, 20-50 %d, >50 %d%n", "", n, missed, falseAlarm, bins[0], bins[1], bins[2], bins[3], bins[4]);
    }

    /** The heat's most likely cell, as an index into the map. */
    static int peak(TipHeatmap map, float[] l) {
        int best = 0;
        for (int i = 1; i < map.rows() * map.cols(); i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The heat's peak cell plus its own offsets. */
    static TipPrediction peakCell(TipHeatmap map, float[] l, double presence) {
        int best = peak(map, l);
        int row = best / map.cols();
        int col = best % map.cols();
        double x = (col + l[map.index(TipHeatmap.OFFSET_X, row, col)]) * map.cellWidth();
        double y = (row + l[map.index(TipHeatmap.OFFSET_Y, row, col)]) * map.cellHeight();
        return new TipPrediction(presence, Math.max(0, Math.min(528, x)), Math.max(0, Math.min(406, y)));
    }

    /** The decoding before: the heat's peak cell, presence its most confident cell anywhere. */
    static TipPrediction anywhere(TipHeatmap map, float[] l) {
        int cells = map.rows() * map.cols();
        float most = Float.NEGATIVE_INFINITY;
        for (int i = cells; i < 2 * cells; i++) {
            most = Math.max(most, l[i]);
        }
        return peakCell(map, l, sig(most));
    }

    static TipPrediction nearHeat(TipHeatmap map, float[] l) {
        TipPrediction p = peakCell(map, l, 0);
        int best = peak(map, l);
        int row = best / map.cols();
        int col = best % map.cols();
        float most = Float.NEGATIVE_INFINITY;
        for (int r = Math.max(0, row - 1); r <= Math.min(map.rows() - 1, row + 1); r++) {
            for (int c = Math.max(0, col - 1); c <= Math.min(map.cols() - 1, col + 1); c++) {
                most = Math.max(most, l[map.index(TipHeatmap.PRESENCE, r, c)]);
            }
        }
        return new TipPrediction(sig(most), p.x(), p.y());
    }

    static TipPrediction averaged(TipHeatmap map, float[] l, double sharpness) {
        TipPrediction p = map.decode(l);
        int best = peak(map, l);
        int row = best / map.cols();
        int col = best % map.cols();
        double sw = 0, sx = 0, sy = 0;
        for (int r = Math.max(0, row - 1); r <= Math.min(map.rows() - 1, row + 1); r++) {
            for (int c = Math.max(0, col - 1); c <= Math.min(map.cols() - 1, col + 1); c++) {
                double w = Math.exp(sharpness * (l[map.index(TipHeatmap.HEAT, r, c)] - l[best]));
                sw += w;
                sx += w * (c + l[map.index(TipHeatmap.OFFSET_X, r, c)]);
                sy += w * (r + l[map.index(TipHeatmap.OFFSET_Y, r, c)]);
            }
        }
        double x = sx / sw * map.cellWidth();
        double y = sy / sw * map.cellHeight();
        return new TipPrediction(p.presence(), Math.max(0, Math.min(528, x)), Math.max(0, Math.min(406, y)));
    }

    static TipPrediction byPresence(TipHeatmap map, float[] l, double heatWeight) {
        int cells = map.rows() * map.cols();
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < cells; i++) {
            double score = l[cells + i] + heatWeight * l[i];
            if (score > bestScore) {
                bestScore = score;
                best = i;
            }
        }
        int row = best / map.cols();
        int col = best % map.cols();
        double x = (col + l[map.index(TipHeatmap.OFFSET_X, row, col)]) * map.cellWidth();
        double y = (row + l[map.index(TipHeatmap.OFFSET_Y, row, col)]) * map.cellHeight();
        return new TipPrediction(sig(l[cells + best]), Math.max(0, Math.min(528, x)), Math.max(0, Math.min(406, y)));
    }

    static double sig(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    static List<float[]> outputs(TipNet net, List<DatasetSample> samples) throws Exception {
        List<float[]> out = new ArrayList<>();
        for (int start = 0; start < samples.size(); start += 25) {
            List<BufferedImage> frames = new ArrayList<>();
            for (DatasetSample s : samples.subList(start, Math.min(samples.size(), start + 25))) {
                frames.add(PngFrameCodec.decodeStored(s.getPng().toByteArray()));
            }
            INDArray input = FrameTensor.batch(frames, net.config().inputHeight(), net.config().inputWidth());
            INDArray output = net.output(input);
            for (int i = 0; i < frames.size(); i++) {
                out.add(output.get(NDArrayIndex.point(i)).dup().data().asFloat());
            }
        }
        return out;
    }
}
