package tipstream.model;

/**
 * One frame's decoded prediction: the chance that a tip is visible and where, in original-frame
 * pixels. Whether the tip counts as present is decided against a threshold.
 */
public record TipPrediction(double presence, double x, double y) {
    public boolean tipPresent(double threshold) {
        return presence >= threshold;
    }
}
