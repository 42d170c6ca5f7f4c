package tipstream.model;

import tipstream.dataset.TipTransform;

/**
 * One frame's decoded prediction: the chance that a tip is visible and where, in original-frame
 * pixels. Whether the tip counts as present is decided against a threshold.
 */
public record TipPrediction(double presence, double x, double y) {
    public boolean tipPresent(double threshold) {
        return presence >= threshold;
    }

    /**
     * The same presence at this place moved by {@code map} (a test-time view's map back to the frame), kept on a
     * frame of this size.
     */
    public TipPrediction mapped(TipTransform map, int frameWidth, int frameHeight) {
        return map == TipTransform.IDENTITY ? this : new TipPrediction(presence,
                Math.max(0, Math.min(frameWidth, map.x(x, y))), Math.max(0, Math.min(frameHeight, map.y(x, y))));
    }
}
