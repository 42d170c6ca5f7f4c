package tipstream.capturesim;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameRendererTest {
    private final FrameRenderer renderer = new FrameRenderer(new SatelliteMockup());

    @Test
    void drawnTipLandsOnTheComputedPixelWithinOnePixel() {
        Random random = new Random(5);
        int checked = 0;
        for (ArmTrajectory.Kind kind : ArmTrajectory.Kind.values()) {
            for (int k = 0; k < 6; k++) {
                ArmTrajectory trajectory = ArmTrajectory.random(kind, random);
                for (double t = 0; t <= 1; t += 0.125) {
                    PinholeCamera camera = trajectory.cameraAt(t);
                    FrameRenderer.TipView tip = renderer.tipView(camera);
                    if (!tip.inFrame() || tip.x() < 4 || tip.y() < 4 || tip.x() > 524 || tip.y() > 402) {
                        continue; // a marker cut by the border has a biased centroid
                    }
                    double[] centroid = centroid(renderer.renderTipMarker(camera, 3.0));
                    assertThat(Math.hypot(centroid[0] - tip.x(), centroid[1] - tip.y()))
                            .as("%s t=%.2f tip (%.2f, %.2f) drawn at (%.2f, %.2f)", kind, t, tip.x(), tip.y(),
                                    centroid[0], centroid[1])
                            .isLessThan(1.0);
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(100);
    }

    /** Intensity-weighted centre, pixel (i, j) counted at (i + 0.5, j + 0.5). */
    static double[] centroid(BufferedImage image) {
        double sum = 0;
        double sx = 0;
        double sy = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int v = image.getRaster().getSample(x, y, 0);
                sum += v;
                sx += v * (x + 0.5);
                sy += v * (y + 0.5);
            }
        }
        return new double[] {sx / sum, sy / sum};
    }

    @Test
    void tipBehindTheBodyIsHidden() {
        // straight behind the mock-up, level with the tip: the body stands between camera and tip
        PinholeCamera behind = new PinholeCamera(new Vec3(0.4, 0.35, -5), new Vec3(0.4, 0.35, 0), 0, 500);
        FrameRenderer.TipView view = renderer.tipView(behind);
        assertThat(view.inFrame()).isTrue();
        assertThat(view.hidden()).isTrue();
        assertThat(view.visible()).isFalse();
    }

    @Test
    void tipBehindAWingIsHidden() {
        // from below the right wing, looking up through it at the tip
        Vec3 tip = SatelliteMockup.TIP;
        Vec3 throughWing = new Vec3(1.5, 0, 0);
        Vec3 eye = throughWing.plus(throughWing.minus(tip).times(2));
        PinholeCamera camera = new PinholeCamera(eye, tip, 0, 500);
        assertThat(renderer.tipView(camera).hidden()).isTrue();
    }

    @Test
    void tipOutOfFrameOrBehindTheCameraIsNotVisible() {
        PinholeCamera lookingAway = new PinholeCamera(new Vec3(0, 0, 5), new Vec3(0, 0, 10), 0, 500);
        assertThat(renderer.tipView(lookingAway).visible()).isFalse();
        PinholeCamera lookingAside = new PinholeCamera(new Vec3(0, 0, 5), new Vec3(4, 0, 0), 0, 500);
        FrameRenderer.TipView aside = renderer.tipView(lookingAside);
        assertThat(aside.inFrame()).isFalse();
        assertThat(aside.visible()).isFalse();
    }

    @Test
    void clearViewFromTheFrontIsVisible() {
        PinholeCamera front = new PinholeCamera(new Vec3(0.6, 0.8, 5), new Vec3(0, 0, 0), 0, 500);
        FrameRenderer.TipView view = renderer.tipView(front);
        assertThat(view.visible()).isTrue();
        // and the full render shows something bright where the tip is
        BufferedImage image = renderer.render(front, new Random(1));
        int x = (int) view.x();
        int y = (int) view.y();
        assertThat(image.getRaster().getSample(x, y, 0)).isGreaterThan(150);
    }
}
