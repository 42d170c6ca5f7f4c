package tipstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.TipNet;
import tipstream.v1.DatasetSample;

/**
 * How long eval takes to score a checkpoint: a stored checkpoint scored on a stored dataset version's
 * validation split (its threshold calibrated there) and eval split, as eval-service scores each
 * checkpoint ({@link CheckpointEvaluator}), three rounds in one JVM, with the metrics so that a faster
 * way can be seen to answer the same (BENCHMARKS.md, "Training throughput").
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
    }
}
