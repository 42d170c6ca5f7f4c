package tipstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;

/**
 * Where a checkpoint's presence decision and distance go wrong on eval, as eval-service scores it: the
 * threshold calibrated on validation against the one eval itself would have chosen (hindsight, never
 * used), the presence scores of eval's frames by kind, and how much of dist_mean the gross misses are.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.ThresholdProbe \
 *   CHECKPOINT DATASET_VERSION [VIEWS]
 * </pre>
 */
public final class ThresholdProbe {
    public static void main(String[] args) throws Exception {
        TipNet net = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        int views = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        CheckpointEvaluator evaluator = new CheckpointEvaluator(528, 406, 16, views);
        Path dataset = Path.of(args[1]);
        CheckpointEvaluator.Scored validation = evaluator.score(net, StoredDataset.samples(dataset, "validation"));
        CheckpointEvaluator.Scored eval = evaluator.score(net, StoredDataset.samples(dataset, "eval"));
        double calibrated = validation.calibratedThreshold();
        double hindsight = eval.calibratedThreshold();
        report("validation at its own threshold", validation, calibrated);
        report("eval at validation's threshold", eval, calibrated);
        report("eval at the seed's 0.5", eval, TipMetrics.PRESENCE_THRESHOLD);
        report("eval at its own (hindsight) threshold", eval, hindsight);
        for (var split : List.of(validation, eval)) {
            List<Double> absent = new ArrayList<>();
            List<Double> placed = new ArrayList<>();
            List<Double> misplaced = new ArrayList<>();
            double grossSum = 0;
            double sum = 0;
            int gross = 0;
            int counted = 0;
            for (int i = 0; i < split.samples().size(); i++) {
                DatasetSample s = split.samples().get(i);
                TipPrediction p = split.predictions().get(i);
                if (!s.getVisible()) {
                    absent.add(p.presence());
                    continue;
                }
                double d = Math.hypot(p.x() - s.getTip().getX(), p.y() - s.getTip().getY());
                (d <= TipMetrics.POINT_TOLERANCE_PX ? placed : misplaced).add(p.presence());
                if (p.presence() >= calibrated) {
                    counted++;
                    sum += d;
                    if (d > 20) {
                        gross++;
                        grossSum += d;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s presence quantiles (5/10/25/50 %%): no tip %s; tip placed %s;"
                    + " tip misplaced %s%n",
                    split == eval ? "eval" : "validation", quantiles(absent, true), quantiles(placed, false),
                    quantiles(misplaced, false));
            System.out.printf(Locale.ROOT, "  said present with a tip: %d, dist_mean %.2f px; %d over 20 px off"
                    + " (mean %.1f px) make %.2f px of it%n", counted, sum / counted, gross,
                    grossSum / Math.max(1, gross), grossSum / counted);
        }
    }

    private static void report(String what, CheckpointEvaluator.Scored scored, double threshold) {
        TipMetrics m = scored.evaluate(threshold).metrics();
        System.out.printf(Locale.ROOT, "%-40s threshold %.3f: overall_mean %.3f, dist_mean %.2f px, point %.3f,"
                + " prob %.3f, precision %.3f, recall %.3f%n", what, threshold, m.overallMean(), m.distMean(),
                m.pointMean(), m.probMean(), m.precision(), m.recall());
    }

    /** The 5/10/25/50 % quantiles, from the top when {@code high} (the no-tip frames' worst are the highest). */
    private static String quantiles(List<Double> values, boolean high) {
        if (values.isEmpty()) {
            return "(none)";
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(high ? java.util.Comparator.reverseOrder() : java.util.Comparator.naturalOrder());
        StringBuilder out = new StringBuilder(values.size() + " frames:");
        for (double q : new double[] {0.05, 0.10, 0.25, 0.50}) {
            out.append(String.format(Locale.ROOT, " %.3f", sorted.get((int) Math.floor(q * (sorted.size() - 1)))));
        }
        return out.toString();
    }
}
