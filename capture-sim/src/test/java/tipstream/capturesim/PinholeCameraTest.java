package tipstream.capturesim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PinholeCameraTest {
    private final PinholeCamera camera = new PinholeCamera(new Vec3(0, 0, 5), new Vec3(0, 0, 0), 0, 500);

    @Test
    void pointOnTheOpticalAxisLandsOnTheImageCentre() {
        Vec3 c = camera.toCamera(new Vec3(0, 0, 0));
        assertThat(c.z()).isCloseTo(5, within(1e-12));
        assertThat(camera.pixelX(c)).isCloseTo(264, within(1e-9));
        assertThat(camera.pixelY(c)).isCloseTo(203, within(1e-9));
    }

    @Test
    void offsetPointsFollowThePinholeFormula() {
        // x_px = cx + f * X / Z, y_px = cy - f * Y / Z (image y grows downwards)
        Vec3 right = camera.toCamera(new Vec3(1, 0, 0));
        assertThat(camera.pixelX(right)).isCloseTo(264 + 500 * 1 / 5.0, within(1e-9));
        Vec3 upAndNear = camera.toCamera(new Vec3(0, 0.5, 2.5));
        assertThat(camera.pixelY(upAndNear)).isCloseTo(203 - 500 * 0.5 / 2.5, within(1e-9));
    }

    @Test
    void rollTurnsTheImageAboutItsCentre() {
        PinholeCamera rolled = new PinholeCamera(new Vec3(0, 0, 5), new Vec3(0, 0, 0), Math.toRadians(90), 500);
        Vec3 c = rolled.toCamera(new Vec3(1, 0, 0));
        // rolled a quarter turn, the world's +x is the camera's vertical axis: 100 px from the centre
        assertThat(Math.hypot(rolled.pixelX(c) - 264, rolled.pixelY(c) - 203)).isCloseTo(100, within(1e-9));
        assertThat(rolled.pixelX(c)).isCloseTo(264, within(1e-9));
    }

    @Test
    void inFrameNeedsPositiveDepthAndPixelsInside() {
        assertThat(PinholeCamera.inFrame(new Vec3(0, 0, 1), 0, 0)).isTrue();
        assertThat(PinholeCamera.inFrame(new Vec3(0, 0, 1), 528, 406)).isTrue();
        assertThat(PinholeCamera.inFrame(new Vec3(0, 0, 1), 528.1, 10)).isFalse();
        assertThat(PinholeCamera.inFrame(new Vec3(0, 0, -1), 10, 10)).isFalse();
    }
}
