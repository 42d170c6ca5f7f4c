package tipstream.bench;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tipstream.dataset.PngFrameCodec;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.FrameTensor;
import tipstream.model.TipNet;
import tipstream.v1.DatasetSample;

/**
 * How long eval takes to score a checkpoint: a stored checkpoint scored on a stored dataset version's
 * validation split (its threshold calibrated there) and eval split, as eval-service scores each
 * checkpoint ({@link CheckpointEvaluator}), three rounds in one JVM, with the metrics so that a faster
 * way can be seen to answer the same (BENCHMARKS.md, "Training throughput"); and how much of that is
 * decoding the stored PNGs and shrinking them to the first stage's input, which every evaluation
 * does again.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.EvalTimingProbe CHECKPOINT DATASET_VERSION VIEWS BATCH
 * </pre>
 */
public final class EvalTimingProbe {
    public static void main(String[] args) throws Exception {
        TipNet net = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        List<DatasetSample> eval = StoredDataset.samples(Path.of(args[1]), "eval");
        List<DatasetSample> validation = StoredDataset.samples(Path.of(args[1]), "validation");
        int views = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        CheckpointEvaluator evaluator = new CheckpointEvaluator(528, 406, batch, views);
        for (int round = 1; round <= 3; round++) {
            long t0 = System.nanoTime();
            double threshold = evaluator.score(net, validation).calibratedThreshold();
            var m = evaluator.score(net, eval).evaluate(threshold).metrics();
            System.out.printf(Locale.ROOT, "round %d: %d frames in %.1f s, %d views, batch %d: overall_mean %.3f,"
                    + " dist_mean %.2f px%n", round, eval.size() + validation.size(), (System.nanoTime() - t0) / 1e9,
                    views, batch, m.overallMean(), m.distMean());
        }
        List<DatasetSample> all = new ArrayList<>(validation);
        all.addAll(eval);
        for (int round = 1; round <= 3; round++) {
            long t0 = System.nanoTime();
            List<BufferedImage> frames = new ArrayList<>();
            for (DatasetSample s : all) {
                frames.add(PngFrameCodec.decodeStored(s.getPng().toByteArray()));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < frames.size(); i += batch) {
                FrameTensor.batch(frames.subList(i, Math.min(frames.size(), i + batch)), net.config().inputHeight(),
                        net.config().inputWidth());
            }
            System.out.printf(Locale.ROOT, "round %d of that: decoding the %d PNGs %.2f s, shrinking them %.2f s%n",
                    round, all.size(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        }
    }
}
