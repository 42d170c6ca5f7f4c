package tipstream.capturesim;

import java.util.Random;

/**
 * A camera path like the robot arm's: the camera orbits the mock-up on a sphere (azimuth,
 * elevation, distance), looks at a point near it and rolls; each kind of motion moves some of
 * these from a start to an end value with eased (smooth start and stop) timing, plus a small
 * tremor. Azimuth 0 puts the camera in front of the mock-up (+z), where the boom points.
 */
public record ArmTrajectory(Kind kind, double az0, double az1, double el0, double el1, double dist0, double dist1,
        double roll0, double roll1, Vec3 look0, Vec3 look1, double focalPx, double[] tremorPhase) {

    public enum Kind { SWEEP, ARC, APPROACH, RETREAT, ROLL }

    /** A random trajectory of the given kind; the ranges keep the camera inside the lab. */
    public static ArmTrajectory random(Kind kind, Random random) {
        double az = -35 + 70 * random.nextDouble();
        double el = 5 + 25 * random.nextDouble();
        double dist = 3.6 + 1.6 * random.nextDouble();
        double roll = -10 + 20 * random.nextDouble();
        Vec3 centre = new Vec3(0.1, 0.1, 0.3);
        double focal = 470 + 80 * random.nextDouble();
        double[] phase = {random.nextDouble() * 7, random.nextDouble() * 7, random.nextDouble() * 7};
        double sign = random.nextBoolean() ? 1 : -1;
        return switch (kind) {
            case SWEEP -> new ArmTrajectory(kind, az, az + sign * 10, el, el, dist, dist, roll, roll,
                    centre.plus(new Vec3(-2.6 * sign, 0, 0)), centre.plus(new Vec3(2.6 * sign, 0.3, 0)), focal, phase);
            // low and far round: behind the mock-up the body hides the tip
            case ARC -> new ArmTrajectory(kind, 20 * sign, 20 * sign + sign * (150 + 40 * random.nextDouble()),
                    2 + 4 * random.nextDouble(), 4 + 6 * random.nextDouble(), dist, dist, roll, roll, centre, centre,
                    focal, phase);
            case APPROACH -> new ArmTrajectory(kind, az, az * 0.5, el, el * 0.6, 7.0, 1.9, roll, roll, centre,
                    new Vec3(0.3, 0.3, 0.9), focal, phase);
            case RETREAT -> new ArmTrajectory(kind, az * 0.5, az, el * 0.6, el, 1.9, 7.0, roll, roll,
                    new Vec3(0.3, 0.3, 0.9), centre, focal, phase);
            case ROLL -> new ArmTrajectory(kind, az, az + 15 * sign, el, el, dist, dist * 0.85, 0, sign * 150, centre,
                    centre, focal, phase);
        };
    }

    /** The camera at time t in [0, 1]. */
    public PinholeCamera cameraAt(double t) {
        double s = t * t * (3 - 2 * t); // eased: the arm starts and stops smoothly
        double tremor = Math.sin(37 * t + tremorPhase[0]) * 0.4 + Math.sin(83 * t + tremorPhase[1]) * 0.2;
        double az = Math.toRadians(lerp(az0, az1, s) + tremor);
        double el = Math.toRadians(lerp(el0, el1, s) + 0.5 * Math.sin(59 * t + tremorPhase[2]));
        double dist = lerp(dist0, dist1, s);
        Vec3 look = look0.plus(look1.minus(look0).times(s));
        Vec3 eye = look.plus(new Vec3(dist * Math.cos(el) * Math.sin(az), dist * Math.sin(el),
                dist * Math.cos(el) * Math.cos(az)));
        return new PinholeCamera(eye, look, Math.toRadians(lerp(roll0, roll1, s) + tremor), focalPx);
    }

    private static double lerp(double a, double b, double s) {
        return a + (b - a) * s;
    }
}
