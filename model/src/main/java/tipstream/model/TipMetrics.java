package tipstream.model;

/**
 * The seed project's metrics (BACKGROUND.md), accumulated over one evaluation and then read.
 * Make a new instance per evaluation: streaming metrics must be reset between evaluations.
 * <ul>
 * <li>{@code metrics/dist_mean}: mean pixel distance, over frames that have a tip and where the
 *     model says there is one;</li>
 * <li>{@code accuracy/point_mean}: share of those same frames predicted within 10 px. Counted only
 *     over detected frames, it can read 100 % while almost nothing is detected: read it with
 *     recall and overall_mean, never alone;</li>
 * <li>{@code accuracy/prob_mean}: share of all frames whose presence decision is right;</li>
 * <li>{@code accuracy/overall_mean}: share of all frames fully right (no tip and none predicted,
 *     or a tip predicted within 10 px);</li>
 * <li>precision, recall and F1 of the presence decision;</li>
 * <li>{@code localisation/dist_median} and {@code localisation/within_10px}: over every frame with a
 *     visible tip, whatever the presence decision, the median distance and the share within 10 px:
 *     how well the model places the tip, apart from whether it dares to say so.</li>
 * </ul>
 */
public final class TipMetrics {
    /** The seed's presence threshold; a calibrated one ({@link PresenceCurves#calibrate}) may replace it. */
    public static final double PRESENCE_THRESHOLD = 0.5;
    public static final double POINT_TOLERANCE_PX = 10.0;

    private final double threshold;

    private long frames;
    private long truePositives;
    private long falsePositives;
    private long falseNegatives;
    private long trueNegatives;
    private long withinTolerance;
    private double distanceSum;
    private final java.util.List<Double> visibleDistances = new java.util.ArrayList<>();

    /** Metrics with the seed's presence threshold, 0.5. */
    public TipMetrics() {
        this(PRESENCE_THRESHOLD);
    }

    /** Metrics that count a tip as predicted when its presence is at least {@code threshold}. */
    public TipMetrics(double threshold) {
        this.threshold = threshold;
    }

    public double threshold() {
        return threshold;
    }

    /** Adds one frame: its truth and the decoded prediction, both in original-frame pixels. */
    public void add(boolean tipVisible, double trueX, double trueY, TipPrediction prediction) {
        frames++;
        boolean predicted = prediction.tipPresent(threshold);
        if (tipVisible) {
            visibleDistances.add(Math.hypot(prediction.x() - trueX, prediction.y() - trueY));
        }
        if (tipVisible && predicted) {
            truePositives++;
            double distance = Math.hypot(prediction.x() - trueX, prediction.y() - trueY);
            distanceSum += distance;
            if (distance <= POINT_TOLERANCE_PX) {
                withinTolerance++;
            }
        } else if (tipVisible) {
            falseNegatives++;
        } else if (predicted) {
            falsePositives++;
        } else {
            trueNegatives++;
        }
    }

    public long frames() {
        return frames;
    }

    /** NaN when no frame has a detected tip. */
    public double distMean() {
        return truePositives == 0 ? Double.NaN : distanceSum / truePositives;
    }

    /** NaN when no frame has a detected tip. */
    public double pointMean() {
        return truePositives == 0 ? Double.NaN : (double) withinTolerance / truePositives;
    }

    /** The median distance over frames with a visible tip, said present or not; NaN without such frames. */
    public double localisationDistMedian() {
        if (visibleDistances.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = visibleDistances.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The share of frames with a visible tip placed within 10 px, said present or not. */
    public double localisationWithinTolerance() {
        return ratio(visibleDistances.stream().filter(d -> d <= POINT_TOLERANCE_PX).count(), visibleDistances.size());
    }

    public double probMean() {
        return ratio(truePositives + trueNegatives, frames);
    }

    public double overallMean() {
        return ratio(withinTolerance + trueNegatives, frames);
    }

    public double precision() {
        return ratio(truePositives, truePositives + falsePositives);
    }

    public double recall() {
        return ratio(truePositives, truePositives + falseNegatives);
    }

    public double f1() {
        double p = precision();
        double r = recall();
        return p + r == 0 || Double.isNaN(p) || Double.isNaN(r) ? 0 : 2 * p * r / (p + r);
    }

    private static double ratio(long part, long whole) {
        return whole == 0 ? Double.NaN : (double) part / whole;
    }
}
