package tipstream.augment;

/**
 * An affine map of frame pixels, {@code p' = A p + b}, in tipstream's pixel convention: (0,0) is
 * the top-left corner of the top-left pixel, pixel (i, j) is centred at (i + 0.5, j + 0.5).
 * OpenCV puts pixel centres on integers; {@link #toOpenCv} converts, so that the image and the
 * tip move by exactly the same map.
 */
public record TipTransform(double a11, double a12, double b1, double a21, double a22, double b2) {
    public static final TipTransform IDENTITY = new TipTransform(1, 0, 0, 0, 1, 0);

    /**
     * Rotation by {@code degrees} about (cx, cy), counter-clockwise as seen on screen (image y
     * points down), as OpenCV's getRotationMatrix2D turns it.
     */
    public static TipTransform rotation(double degrees, double cx, double cy) {
        double t = Math.toRadians(degrees);
        double c = Math.cos(t);
        double s = Math.sin(t);
        return new TipTransform(c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy);
    }

    /** Mirror left to right: x' = width - x. */
    public static TipTransform horizontalFlip(double width) {
        return new TipTransform(-1, 0, width, 0, 1, 0);
    }

    public double x(double x, double y) {
        return a11 * x + a12 * y + b1;
    }

    public double y(double x, double y) {
        return a21 * x + a22 * y + b2;
    }

    /**
     * The same map for OpenCV's warpAffine: with q = p - 0.5, q' = A q + (A (0.5, 0.5) + b - (0.5, 0.5)).
     * Row-major 2 x 3.
     */
    public double[] toOpenCv() {
        return new double[] {a11, a12, 0.5 * (a11 + a12) + b1 - 0.5, a21, a22, 0.5 * (a21 + a22) + b2 - 0.5};
    }
}
