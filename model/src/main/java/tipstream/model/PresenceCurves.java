package tipstream.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How well the presence score separates frames with a visible tip from frames without, over all
 * thresholds (BACKGROUND.md: on imbalanced data accuracy misleads): ROC AUC, average precision,
 * and the threshold calibrated on held-out frames that makes the most frames fully right.
 */
public final class PresenceCurves {
    private PresenceCurves() {
    }

    /** One frame: whether the tip is visible, the presence score, and whether the predicted place is right. */
    public record Scored(boolean visible, double presence, boolean placeRight) {
    }

    /** The frame scored against its truth; the place is right within the seed's 10 px. */
    public static Scored score(boolean visible, double trueX, double trueY, TipPrediction prediction) {
        boolean near = visible && Math.hypot(prediction.x() - trueX, prediction.y() - trueY)
                <= TipMetrics.POINT_TOLERANCE_PX;
        return new Scored(visible, prediction.presence(), near);
    }

    /**
     * The chance that a random frame with a tip scores above a random frame without (ties count
     * half); NaN when either kind is missing.
     */
    public static double rocAuc(List<Scored> frames) {
        List<Scored> sorted = new ArrayList<>(frames);
        sorted.sort(Comparator.comparingDouble(Scored::presence));
        long positives = frames.stream().filter(Scored::visible).count();
        long negatives = frames.size() - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        double rankSum = 0; // ranks of the positives, ties given their mean rank
        for (int i = 0; i < sorted.size();) {
            int j = i;
            while (j < sorted.size() && sorted.get(j).presence() == sorted.get(i).presence()) {
                j++;
            }
            double meanRank = (i + 1 + j) / 2.0;
            for (int k = i; k < j; k++) {
                rankSum += sorted.get(k).visible() ? meanRank : 0;
            }
            i = j;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    /** The area under the precision-recall curve as a step function (mean precision at each recall step). */
    public static double averagePrecision(List<Scored> frames) {
        List<Scored> sorted = new ArrayList<>(frames);
        sorted.sort(Comparator.comparingDouble(Scored::presence).reversed());
        long positives = frames.stream().filter(Scored::visible).count();
        if (positives == 0) {
            return Double.NaN;
        }
        double sum = 0;
        int truePositives = 0;
        for (int i = 0; i < sorted.size();) {
            int j = i;
            int newPositives = 0;
            while (j < sorted.size() && sorted.get(j).presence() == sorted.get(i).presence()) {
                newPositives += sorted.get(j).visible() ? 1 : 0;
                j++;
            }
            truePositives += newPositives;
            sum += newPositives * (double) truePositives / j; // precision at this threshold, per recall gained
            i = j;
        }
        return sum / positives;
    }

    /**
     * The presence threshold that makes the most frames fully right (a visible tip said present
     * and placed within 10 px, or no tip and none said), halfway between neighbouring scores; of
     * equally good thresholds the middle one (of two middle ones, the one nearer the seed's 0.5).
     * The seed's 0.5 with no frames. A validation split of a hundred frames can make several
     * thresholds equally good, and 0.5 is no better a guess among them than their middle (stop 46's
     * 30-minute curve, at 5 minutes: 0.419 instead of 0.480, eval overall_mean 0.915 against 0.905;
     * BENCHMARKS.md, "Model quality").
     */
    public static double calibrate(List<Scored> frames) {
        if (frames.isEmpty()) {
            return TipMetrics.PRESENCE_THRESHOLD;
        }
        List<Scored> sorted = new ArrayList<>(frames);
        sorted.sort(Comparator.comparingDouble(Scored::presence));
        // threshold below every score: all said present
        int right = (int) frames.stream().filter(Scored::placeRight).count();
        List<Double> best = new ArrayList<>(); // the thresholds that make bestRight frames right, ascending
        int bestRight = -1;
        for (int i = 0; i <= sorted.size(); i++) {
            if (i > 0) {
                // the threshold moves above sorted[i-1]: it is now said absent
                Scored s = sorted.get(i - 1);
                right += (s.visible() ? 0 : 1) - (s.placeRight() ? 1 : 0);
                if (i < sorted.size() && sorted.get(i).presence() == s.presence()) {
                    continue; // not a threshold between two different scores
                }
            }
            double low = i == 0 ? 0 : sorted.get(i - 1).presence();
            double high = i == sorted.size() ? 1 : sorted.get(i).presence();
            double threshold = i == 0 ? Math.min(high, TipMetrics.PRESENCE_THRESHOLD)
                    : i == sorted.size() ? Math.max(Math.nextUp(low), TipMetrics.PRESENCE_THRESHOLD)
                    : Math.min(Math.max((low + high) / 2, Math.nextUp(low)), high);
            if (right > bestRight) {
                best.clear();
                bestRight = right;
            }
            if (right == bestRight) {
                best.add(threshold);
            }
        }
        double lower = best.get((best.size() - 1) / 2);
        double upper = best.get(best.size() / 2);
        return Math.abs(upper - TipMetrics.PRESENCE_THRESHOLD) < Math.abs(lower - TipMetrics.PRESENCE_THRESHOLD)
                ? upper : lower;
    }
}
