package tipstream.dataset;

import java.util.Optional;

/** The frame geometry every stage expects: 528 x 406 grayscale, from the lab's cameras. */
public record FrameFormat(int width, int height) {
    public static final FrameFormat LAB_CAMERA = new FrameFormat(528, 406);

    /** True when the point lies in the frame, borders included (CVAT clips boxes to [0, width]). */
    public boolean contains(double x, double y) {
        return x >= 0 && y >= 0 && x <= width && y <= height;
    }

    /**
     * Why a label cannot be used on frames of this format, or empty when it can: a tip said visible
     * has a position and one said absent has none, and the position is finite and in the frame. Ingest
     * refuses such a label as it arrives; augment dead-letters one that reaches Kafka by another way,
     * since neither the trainer nor eval can encode it.
     */
    public Optional<String> labelProblem(boolean visible, boolean hasTip, double x, double y) {
        if (!visible) {
            return hasTip ? Optional.of("label says the tip is not visible but gives a tip position") : Optional.empty();
        }
        if (!hasTip) {
            return Optional.of("label says the tip is visible but gives no position");
        }
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            return Optional.of("label tip (" + x + ", " + y + ") is not finite");
        }
        if (!contains(x, y)) {
            return Optional.of("label tip (" + x + ", " + y + ") lies outside the " + width + " x " + height + " frame");
        }
        return Optional.empty();
    }
}
