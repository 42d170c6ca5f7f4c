package tipstream.dataset;

/** The frame geometry every stage expects: 528 x 406 grayscale, from the lab's cameras. */
public record FrameFormat(int width, int height) {
    public static final FrameFormat LAB_CAMERA = new FrameFormat(528, 406);

    /** True when the point lies in the frame, borders included (CVAT clips boxes to [0, width]). */
    public boolean contains(double x, double y) {
        return x >= 0 && y >= 0 && x <= width && y <= height;
    }
}
