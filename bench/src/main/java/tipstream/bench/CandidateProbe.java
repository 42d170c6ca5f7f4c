package tipstream.bench;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.RandomAugmentation;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipNetConfig;
import tipstream.model.TipHeatmap;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.model.TipRefiner;
import tipstream.trainer.Confusers;
import tipstream.trainer.PrefetchingLoader;
import tipstream.v1.DatasetSample;

/**
 * Where the first stage's misses are: for each eval frame with a tip, the first stage's strongest
 * heat peaks, each placed again by the refiner with the refiner's own presence, and how far each is
 * from the truth; then the mean miss of a few ways of choosing among them.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.CandidateProbe CHECKPOINT DATASET_VERSION \
 *   [--train-refiner STEPS CROP]
 * </pre>
 * {@code -Dprobe.misses=DIR} draws each frame whose chosen place is over 20 px off into DIR; {@code -Dprobe.split=train}
 * probes the training frames instead of eval's.
 */
public final class CandidateProbe {
    static final int K = 4;
    /** The frames probed: the dataset's eval split, or another ({@code -Dprobe.split=train}: does it fit what it trained on?). */
    static final String SPLIT = System.getProperty("probe.split", "eval");

    public static void main(String[] args) throws Exception {
        TipNet net = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        TipNet refiner = args.length > 3 && args[2].equals("--train-refiner")
                ? trainRefiner(net, Path.of(args[1]), Integer.parseInt(args[3]),
                        args.length > 4 ? Integer.parseInt(args[4]) : TipRefiner.DEFAULT_CROP)
                : net.refiner().orElseThrow();
        List<DatasetSample> probed = StoredDataset.samples(Path.of(args[1]), SPLIT);
        Path sheets = System.getProperty("probe.misses") == null ? null : Path.of(System.getProperty("probe.misses"));
        if (sheets != null) {
            Files.createDirectories(sheets);
        }
        TipHeatmap map = (TipHeatmap) net.encoding(528, 406);
        int crop = refiner.config().inputWidth();
        double[] sums = new double[6];
        int frames = 0;
        int[] rank = new int[K + 1];
        int far = 0;
        for (int start = 0; start < probed.size(); start += 32) {
            List<DatasetSample> batch = probed.subList(start, Math.min(probed.size(), start + 32));
            List<BufferedImage> images = images(batch);
            INDArray output = firstStage(net, images);
            for (int i = 0; i < batch.size(); i++) {
                DatasetSample s = batch.get(i);
                if (!s.getVisible()) {
                    continue;
                }
                float[] logits = output.get(NDArrayIndex.point(i)).dup().data().asFloat();
                List<TipPrediction> candidates = map.candidates(logits, K).stream()
                        .map(c -> new TipPrediction(c.share(), c.tip().x(), c.tip().y())).toList();
                List<BufferedImage> same = new ArrayList<>();
                for (int c = 0; c < candidates.size(); c++) {
                    same.add(images.get(i));
                }
                List<TipPrediction> refined = TipRefiner.refine(refiner, same, candidates, 528, 406);
                // the refiner's own presence on each candidate's crop
                List<Double> refinerPresence = new ArrayList<>();
                for (TipPrediction c : candidates) {
                    BufferedImage cut = TipRefiner.cut(images.get(i), (int) Math.round(c.x()) - crop / 2,
                            (int) Math.round(c.y()) - crop / 2, crop);
                    refinerPresence.add(refiner.predict(FrameTensor.batch(List.of(cut), crop, crop),
                            refiner.encoding(crop, crop)).get(0).presence());
                }
                double[] miss = new double[candidates.size()];
                int hit = K;
                for (int c = 0; c < candidates.size(); c++) {
                    miss[c] = Math.hypot(refined.get(c).x() - s.getTip().getX(), refined.get(c).y() - s.getTip().getY());
                    if (miss[c] < 10 && hit == K) {
                        hit = c;
                    }
                }
                rank[hit]++;
                frames++;
                int byRefiner = 0;
                int byProduct = 0;
                int bySum = 0;
                for (int c = 1; c < candidates.size(); c++) {
                    if (refinerPresence.get(c) > refinerPresence.get(byRefiner)) {
                        byRefiner = c;
                    }
                    if (refinerPresence.get(c) * candidates.get(c).presence() > refinerPresence.get(byProduct)
                            * candidates.get(byProduct).presence()) {
                        byProduct = c;
                    }
                    if (Math.sqrt(refinerPresence.get(c)) * candidates.get(c).presence() > Math.sqrt(
                            refinerPresence.get(bySum)) * candidates.get(bySum).presence()) {
                        bySum = c;
                    }
                }
                double oracle = miss[0];
                for (double m : miss) {
                    oracle = Math.min(oracle, m);
                }
                sums[0] += miss[0];
                sums[1] += miss[byRefiner];
                sums[2] += miss[byProduct];
                sums[3] += miss[bySum];
                sums[4] += oracle;
                if (sheets != null && miss[byProduct] > 20) {
                    drawMiss(sheets, s, images.get(i), candidates, refined, crop);
                }
                if (miss[0] > 20) {
                    far++;
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s", s.getFrameName()));
                    for (int c = 0; c < candidates.size(); c++) {
                        line.append(String.format(Locale.ROOT, "  [%5.1f px heat %.3f refiner %.3f]", miss[c],
                                candidates.get(c).presence(), refinerPresence.get(c)));
                    }
                    line.append(tipCell(map, logits, s.getTip().getX(), s.getTip().getY()));
                    System.out.println(line);
                }
            }
        }
        presence(net, refiner, map, Path.of(args[1]));
        System.out.printf(Locale.ROOT, "%d frames with a tip, %d first-stage picks > 20 px off; first candidate within 10 px at rank:"
                + " %s (the last: none)%n", frames, far, java.util.Arrays.toString(rank));
        System.out.printf(Locale.ROOT, "mean miss: strongest heat %.2f px, by refiner presence %.2f, by heat x refiner %.2f,"
                + " by heat x sqrt(refiner) %.2f, oracle %.2f%n", sums[0] / frames, sums[1] / frames, sums[2] / frames,
                sums[3] / frames, sums[4] / frames);
    }

    /**
     * A refiner trained alone, as the trainer trains it (its crops drawn with the standard random
     * augmentation, batch 16, the trainer's default schedule), on the dataset's training frames:
     * to compare ways of training it against the same first stage. Its crops away from the tip go to the
     * first stage's confusers on each frame as the trainer's do ({@code -Drefiner.mined=false}: only to the
     * random near misses); {@code -Drefiner.seed=N} draws other crops, {@code -Drefiner.batch=N} draws N
     * crops a step, {@code -Drefiner.stem=2} gives it a stride-2 stem (BENCHMARKS.md, "The main job"),
     * {@code -Drefiner.deep=64,128} deeper stages added back for context ({@link TipNetConfig#deepChannels()}),
     * {@code -Drefiner.context=1} and {@code -Drefiner.contextChannels=32} other context convolutions.
     */
    static TipNet trainRefiner(TipNet net, Path dataset, int steps, int cropSize) throws Exception {
        TipNetConfig coarse = net.config();
        List<DatasetSample> train = StoredDataset.samples(dataset, "train");
        List<BufferedImage> images = images(train);
        // the first stage's confusers on each frame, as the trainer finds them on the frames it keeps
        List<PrefetchingLoader.Kept> kept = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            kept.add(new PrefetchingLoader.Kept(Integer.toString(i), train.get(i), images.get(i)));
        }
        Map<String, List<TipPrediction>> confusers = Boolean.parseBoolean(System.getProperty("refiner.mined", "true"))
                ? Confusers.find(net, net.encoding(528, 406), cropSize, kept) : Map.of();
        TipNetConfig c = TipRefiner.shape(coarse.withRefineCrop(cropSize));
        String deepWidths = System.getProperty("refiner.deep", "");
        List<Integer> deep = deepWidths.isEmpty() ? c.deepChannels()
                : Arrays.stream(deepWidths.split(",")).map(Integer::valueOf).toList();
        String contextDilations = System.getProperty("refiner.context", "");
        List<Integer> context = contextDilations.isEmpty() ? c.contextDilations()
                : Arrays.stream(contextDilations.split(",")).map(Integer::valueOf).toList();
        TipNet refiner = TipNet.build(new TipNetConfig(c.head(), c.inputHeight(), c.inputWidth(), c.stemChannels(),
                c.stageChannels(), deep, Integer.getInteger("refiner.contextChannels", c.contextChannels()), context,
                c.learningRate(), c.seed(), c.presenceWeight(), c.positionWeight(),
                Integer.getInteger("refiner.stem", c.stemStride()), c.batchNorm(), c.fineChannels(), c.refineCrop(),
                c.standardised()));
        TipEncoding encoding = refiner.encoding(cropSize, cropSize);
        var schedule = new tipstream.trainer.LearningRateSchedule(0.002, 0.00002, 30, steps);
        var augmentation = java.util.Optional.of(new RandomAugmentation(RandomAugmentation.standard()));
        java.util.Random random = new java.util.Random(Long.getLong("refiner.seed", 7));
        long t0 = System.nanoTime();
        double loss = Double.NaN;
        for (int step = 1; step <= steps; step++) {
            List<BufferedImage> crops = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (int n = 0; n < Integer.getInteger("refiner.batch", 16); n++) {
                int i = random.nextInt(train.size());
                DatasetSample s = train.get(i);
                TipRefiner.Drawn d = TipRefiner.draw(images.get(i), s.getVisible(), s.getTip().getX(), s.getTip().getY(),
                        528, 406, cropSize, confusers.getOrDefault(Integer.toString(i), List.of()), augmentation, random);
                crops.add(d.image());
                labels.add(encoding.encode(d.visible(), d.x(), d.y()));
            }
            refiner.setLearningRate(schedule.at(step));
            loss = refiner.fit(FrameTensor.batch(crops, cropSize, cropSize), FrameTensor.labels(labels, encoding));
            if (step % 500 == 0) {
                System.out.printf(Locale.ROOT, "refiner step %d, loss %.3f, %.0f s%n", step, loss, (System.nanoTime() - t0) / 1e9);
            }
        }
        System.out.printf(Locale.ROOT, "refiner (crop %d) trained alone: %d steps of 16, loss %.3f, %.0f s%n", cropSize,
                steps, loss, (System.nanoTime() - t0) / 1e9);
        return refiner.averaged();
    }

    /** Where the tip's own cell stands in the heat: its softmax share and its rank among all cells. */
    static String tipCell(TipHeatmap map, float[] logits, double x, double y) {
        int cells = map.rows() * map.cols();
        int tip = Math.min(map.rows() - 1, (int) (y / map.cellHeight())) * map.cols()
                + Math.min(map.cols() - 1, (int) (x / map.cellWidth()));
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < cells; i++) {
            max = Math.max(max, logits[TipHeatmap.HEAT * cells + i]);
        }
        double sum = 0;
        int rank = 1;
        for (int i = 0; i < cells; i++) {
            sum += Math.exp(logits[TipHeatmap.HEAT * cells + i] - max);
            if (logits[TipHeatmap.HEAT * cells + i] > logits[TipHeatmap.HEAT * cells + tip]) {
                rank++;
            }
        }
        return String.format(Locale.ROOT, "  tip cell heat %.3f rank %d", Math.exp(logits[TipHeatmap.HEAT * cells + tip] - max) / sum, rank);
    }

    /**
     * A frame whose chosen place is over 20 px off, drawn for a look ({@code -Dprobe.misses=DIR}): the
     * true tip in green, each candidate's crop in red (its rank beside it) with the refiner's place.
     */
    static void drawMiss(Path dir, DatasetSample s, BufferedImage frame, List<TipPrediction> candidates,
            List<TipPrediction> refined, int crop) throws java.io.IOException {
        BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        g.drawImage(frame, 0, 0, null);
        for (int c = 0; c < candidates.size(); c++) {
            g.setColor(c == 0 ? java.awt.Color.RED : java.awt.Color.ORANGE);
            int x = (int) Math.round(candidates.get(c).x());
            int y = (int) Math.round(candidates.get(c).y());
            g.drawRect(x - crop / 2, y - crop / 2, crop, crop);
            g.drawString(Integer.toString(c + 1), x - crop / 2 + 2, y - crop / 2 + 12);
            g.fillOval((int) Math.round(refined.get(c).x()) - 3, (int) Math.round(refined.get(c).y()) - 3, 6, 6);
        }
        g.setColor(java.awt.Color.GREEN);
        int tx = (int) Math.round(s.getTip().getX());
        int ty = (int) Math.round(s.getTip().getY());
        g.drawLine(tx - 8, ty, tx + 8, ty);
        g.drawLine(tx, ty - 8, tx, ty + 8);
        g.dispose();
        ImageIO.write(out, "png", dir.resolve(s.getFrameName()).toFile());
    }

    static List<BufferedImage> images(List<DatasetSample> samples) throws java.io.IOException {
        List<BufferedImage> images = new ArrayList<>();
        for (DatasetSample s : samples) {
            images.add(PngFrameCodec.decodeStored(s.getPng().toByteArray()));
        }
        return images;
    }

    /** The first stage's raw output on the frames. */
    static INDArray firstStage(TipNet net, List<BufferedImage> images) {
        return net.output(FrameTensor.batch(images, net.config().inputHeight(),
                net.config().inputWidth()));
    }

    /** The place chosen as TipNet.locate chooses it, with the first stage's presence there and the refiner's. */
    record Choice(double first, double refiner, double x, double y) {
    }

    static List<Choice> choices(TipNet net, TipNet refiner, TipHeatmap map, List<DatasetSample> samples) throws Exception {
        int crop = refiner.config().inputWidth();
        List<Choice> choices = new ArrayList<>();
        for (int start = 0; start < samples.size(); start += 32) {
            List<DatasetSample> batch = samples.subList(start, Math.min(samples.size(), start + 32));
            List<BufferedImage> images = images(batch);
            INDArray output = firstStage(net, images);
            for (int i = 0; i < batch.size(); i++) {
                var candidates = map.candidates(output.get(NDArrayIndex.point(i)).dup().data().asFloat(),
                        TipRefiner.CANDIDATES);
                List<BufferedImage> cuts = new ArrayList<>();
                for (var c : candidates) {
                    cuts.add(TipRefiner.cut(images.get(i), (int) Math.round(c.tip().x()) - crop / 2,
                            (int) Math.round(c.tip().y()) - crop / 2, crop));
                }
                List<TipPrediction> placed = refiner.predict(FrameTensor.batch(cuts, crop, crop), refiner.encoding(crop, crop));
                int best = 0;
                for (int c = 1; c < candidates.size(); c++) {
                    if (candidates.get(c).share() * placed.get(c).presence()
                            > candidates.get(best).share() * placed.get(best).presence()) {
                        best = c;
                    }
                }
                var c = candidates.get(best);
                double x = Math.round(c.tip().x()) - crop / 2 + placed.get(best).x();
                double y = Math.round(c.tip().y()) - crop / 2 + placed.get(best).y();
                choices.add(new Choice(c.tip().presence(), placed.get(best).presence(), x, y));
            }
        }
        return choices;
    }

    /** The seed metrics with the frame's presence taken three ways, each threshold calibrated on validation. */
    static void presence(TipNet net, TipNet refiner, TipHeatmap map, Path dataset) throws Exception {
        List<DatasetSample> probed = StoredDataset.samples(dataset, SPLIT);
        List<DatasetSample> validation = StoredDataset.samples(dataset, "validation");
        List<Choice> e = choices(net, refiner, map, probed);
        List<Choice> v = choices(net, refiner, map, validation);
        java.util.Map<String, java.util.function.ToDoubleFunction<Choice>> ways = new java.util.LinkedHashMap<>();
        ways.put("first stage's", Choice::first);
        ways.put("sqrt(first x refiner)", c -> Math.sqrt(c.first() * c.refiner()));
        ways.put("first x refiner", c -> c.first() * c.refiner());
        ways.put("refiner's", Choice::refiner);
        for (var way : ways.entrySet()) {
            RefinementProbe.report(way.getKey(), probed, e.stream().map(c -> new TipPrediction(
                    way.getValue().applyAsDouble(c), c.x(), c.y())).toList(), validation, v.stream().map(c ->
                    new TipPrediction(way.getValue().applyAsDouble(c), c.x(), c.y())).toList());
        }
    }
}
