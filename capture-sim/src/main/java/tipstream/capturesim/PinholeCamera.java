package tipstream.capturesim;

/**
 * A pinhole camera looking from {@code position} at {@code target}, rolled about its optical
 * axis. Pixel convention, shared with the renderer: (0,0) is the top-left corner of the top-left
 * pixel, so pixel (i, j) covers [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5); the
 * principal point is the image centre (width/2, height/2). Image y grows downwards.
 */
public final class PinholeCamera {
    public static final int WIDTH = 528;
    public static final int HEIGHT = 406;
    public static final double NEAR = 0.05;

    private final Vec3 position;
    private final Vec3 right;
    private final Vec3 up;
    private final Vec3 forward;
    private final double focalPx;

    public PinholeCamera(Vec3 position, Vec3 target, double rollRadians, double focalPx) {
        this.position = position;
        this.forward = target.minus(position).normalized();
        Vec3 worldUp = Math.abs(forward.y()) > 0.99 ? new Vec3(0, 0, 1) : new Vec3(0, 1, 0);
        Vec3 r = forward.cross(worldUp).normalized();
        Vec3 u = r.cross(forward);
        double c = Math.cos(rollRadians);
        double s = Math.sin(rollRadians);
        this.right = r.times(c).plus(u.times(s));
        this.up = u.times(c).minus(r.times(s));
        this.focalPx = focalPx;
    }

    public Vec3 position() {
        return position;
    }

    public double focalPx() {
        return focalPx;
    }

    /** The point in camera coordinates: x right, y up, z along the optical axis (depth). */
    public Vec3 toCamera(Vec3 world) {
        Vec3 d = world.minus(position);
        return new Vec3(d.dot(right), d.dot(up), d.dot(forward));
    }

    /** Pixel x of a camera-space point with positive depth. */
    public double pixelX(Vec3 camera) {
        return WIDTH / 2.0 + focalPx * camera.x() / camera.z();
    }

    /** Pixel y of a camera-space point with positive depth. */
    public double pixelY(Vec3 camera) {
        return HEIGHT / 2.0 - focalPx * camera.y() / camera.z();
    }

    /** True when the camera-space point lies in front of the camera and projects inside the frame. */
    public static boolean inFrame(Vec3 camera, double px, double py) {
        return camera.z() > NEAR && px >= 0 && px <= WIDTH && py >= 0 && py <= HEIGHT;
    }
}
