package tipstream.dataset;

/**
 * A projective map of frame pixels, {@code p' = H p} in homogeneous coordinates (affine when the
 * last row is 0 0 1), in tipstream's pixel convention: (0,0) is the top-left corner of the
 * top-left pixel, pixel (i, j) is centred at (i + 0.5, j + 0.5). OpenCV puts pixel centres on
 * integers; {@link #toOpenCv} and {@link #toOpenCvHomography} convert, so that the image and the
 * tip move by exactly the same map. Maps compose with {@link #then}.
 */
public final class TipTransform {
    public static final TipTransform IDENTITY = new TipTransform(1, 0, 0, 0, 1, 0, 0, 0, 1);

    private final double[] h;

    private TipTransform(double... rowMajor) {
        this.h = rowMajor;
    }

    /** An affine map: x' = a11 x + a12 y + b1, y' = a21 x + a22 y + b2. */
    public static TipTransform affine(double a11, double a12, double b1, double a21, double a22, double b2) {
        return new TipTransform(a11, a12, b1, a21, a22, b2, 0, 0, 1);
    }

    public static TipTransform translation(double dx, double dy) {
        return affine(1, 0, dx, 0, 1, dy);
    }

    /** Scaling by {@code factor} about (cx, cy). */
    public static TipTransform scale(double factor, double cx, double cy) {
        return affine(factor, 0, cx - factor * cx, 0, factor, cy - factor * cy);
    }

    /**
     * Rotation by {@code degrees} about (cx, cy), counter-clockwise as seen on screen (image y
     * points down), as OpenCV's getRotationMatrix2D turns it.
     */
    public static TipTransform rotation(double degrees, double cx, double cy) {
        double t = Math.toRadians(degrees);
        double c = Math.cos(t);
        double s = Math.sin(t);
        return affine(c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy);
    }

    /** Mirror left to right: x' = width - x. */
    public static TipTransform horizontalFlip(double width) {
        return affine(-1, 0, width, 0, 1, 0);
    }

    /**
     * A keystone about (cx, cy): points {@code d} px right of the centre are scaled by about
     * {@code 1 / (1 + px d)}, points below it by {@code 1 / (1 + py d)}, as a plane seen at a slant.
     */
    public static TipTransform perspective(double px, double py, double cx, double cy) {
        TipTransform keystone = new TipTransform(1, 0, 0, 0, 1, 0, px, py, 1);
        return translation(-cx, -cy).then(keystone).then(translation(cx, cy));
    }

    /** This map, then {@code next}. */
    public TipTransform then(TipTransform next) {
        double[] out = new double[9];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                for (int k = 0; k < 3; k++) {
                    out[3 * r + c] += next.h[3 * r + k] * h[3 * k + c];
                }
            }
        }
        return new TipTransform(out);
    }

    public boolean isAffine() {
        return h[6] == 0 && h[7] == 0 && h[8] == 1;
    }

    public double x(double x, double y) {
        return (h[0] * x + h[1] * y + h[2]) / (h[6] * x + h[7] * y + h[8]);
    }

    public double y(double x, double y) {
        return (h[3] * x + h[4] * y + h[5]) / (h[6] * x + h[7] * y + h[8]);
    }

    /** The map for OpenCV's warpPerspective (pixel centres on integers), row-major 3 x 3. */
    public double[] toOpenCvHomography() {
        return translation(0.5, 0.5).then(this).then(translation(-0.5, -0.5)).h.clone();
    }

    /** The map for OpenCV's warpAffine (pixel centres on integers), row-major 2 x 3; affine maps only. */
    public double[] toOpenCv() {
        if (!isAffine()) {
            throw new IllegalStateException("a projective map has no affine OpenCV matrix");
        }
        double[] m = toOpenCvHomography();
        return new double[] {m[0], m[1], m[2], m[3], m[4], m[5]};
    }
}
