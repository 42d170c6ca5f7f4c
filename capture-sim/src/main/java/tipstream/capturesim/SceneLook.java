package tipstream.capturesim;

import java.util.Random;

/**
 * How one capture looks, apart from where the camera is: the light's direction and strength, the
 * ambient level, the exposure, the surface finish of the satellite and of the room, the lens blur,
 * vignetting, sensor noise and whether the lab lamp glares. Each capture draws its own, so that a
 * model cannot learn one rendering style (the real lab and other renderers look different again).
 */
public record SceneLook(Vec3 light, double lightStrength, double ambient, double exposure, double satelliteFinish,
        double roomFinish, double tipFinish, double blurSigma, double vignette, double noiseSigma, boolean lampGlare) {

    /** The look every capture had before looks varied: one light from the upper right front. */
    public static SceneLook standard() {
        return new SceneLook(new Vec3(0.55, 0.75, 0.6).normalized(), 1.0, 0.16, 1.0, 1.0, 1.0, 1.0, 0.85, 0.35, 3.5,
                true);
    }

    /** A random look: lit from anywhere in front, dim to harsh, sharp to soft, clean to noisy. */
    public static SceneLook random(Random random) {
        Vec3 light = new Vec3(2 * random.nextDouble() - 1, 2 * random.nextDouble() - 1, 0.2 + random.nextDouble())
                .normalized();
        return new SceneLook(light, between(random, 0.6, 1.4), between(random, 0.04, 0.35),
                Math.exp(between(random, Math.log(0.6), Math.log(1.5))), between(random, 0.6, 1.15),
                between(random, 0.3, 1.5), between(random, 0.7, 1.0), between(random, 0.3, 1.8),
                between(random, 0.0, 0.55), between(random, 1.0, 9.0), random.nextDouble() < 0.5);
    }

    private static double between(Random random, double low, double high) {
        return low + (high - low) * random.nextDouble();
    }
}
