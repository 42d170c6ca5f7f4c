package tipstream.capturesim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LabSessionTest {
    @Test
    void sameSeedGivesIdenticalPngBytesAndAnotherSeedDoesNot() {
        List<RigClient.RigFrame> a = LabSession.render(7, 1, 3).get(0).labelledRigFrames();
        List<RigClient.RigFrame> b = LabSession.render(7, 1, 3).get(0).labelledRigFrames();
        List<RigClient.RigFrame> c = LabSession.render(8, 1, 3).get(0).labelledRigFrames();
        for (int i = 0; i < 3; i++) {
            assertThat(a.get(i).png()).isEqualTo(b.get(i).png());
            assertThat(a.get(i).frameName()).isEqualTo(b.get(i).frameName());
            assertThat(a.get(i).png()).isNotEqualTo(c.get(i).png());
        }
    }

    @Test
    void aSessionRenderedOnAllCoresHoldsTheCapturesRenderedOneByOneInOrder() {
        List<SimulatedCapture> session = LabSession.render(5, 6, 2);
        assertThat(session).hasSize(6);
        for (int c = 0; c < 6; c++) {
            SimulatedCapture alone = LabSession.capture(5, c, 2);
            assertThat(session.get(c).captureId()).isEqualTo(alone.captureId());
            for (int i = 0; i < 2; i++) {
                assertThat(session.get(c).labelledRigFrames().get(i).png())
                        .isEqualTo(alone.labelledRigFrames().get(i).png());
            }
        }
    }

    @Test
    void theCapturesOfASessionStartFromViewpointsAllRoundTheMockup() {
        // captures' seeds are consecutive; java.util.Random gave them nearly the same first draw, the
        // trajectory's azimuth, so all 40 started within a degree of each other (azimuths are drawn from 70 degrees)
        double lowest = Double.MAX_VALUE;
        double highest = -Double.MAX_VALUE;
        for (int c = 0; c < 40; c++) {
            ArmTrajectory trajectory = ArmTrajectory.random(ArmTrajectory.Kind.values()[0], LabSession.random(1000 + c));
            lowest = Math.min(lowest, trajectory.az0());
            highest = Math.max(highest, trajectory.az0());
        }
        assertThat(highest - lowest).isGreaterThan(45);
    }

    @Test
    void framesAreLabCameraSizedAndNamedLikeTheRigs() {
        SimulatedCapture capture = LabSession.render(3, 1, 2).get(0);
        assertThat(capture.captureId()).matches("\\d{8}-OG\\d_\\d{2}_\\d{2}");
        assertThat(capture.frames().get(1).frameName()).isEqualTo(capture.captureId() + "-camL0001.png");
        assertThat(capture.frames().get(0).image().getWidth()).isEqualTo(528);
        assertThat(capture.frames().get(0).image().getHeight()).isEqualTo(406);
        assertThat(capture.frames().get(0).image().getType()).isEqualTo(java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    }

    @Test
    void aLabSessionHasFramesWithAndWithoutAVisibleTip() {
        List<SimulatedCapture> session = LabSession.render(3, 5, 24);
        long visible = session.stream().mapToLong(SimulatedCapture::visibleCount).sum();
        long total = session.stream().mapToLong(c -> c.frames().size()).sum();
        assertThat(visible).isGreaterThan(total / 2);
        assertThat(visible).isLessThan(total);
        // both ways of losing the tip occur: out of frame, and hidden behind the mock-up
        assertThat(session.stream().flatMap(c -> c.frames().stream()).anyMatch(f -> !f.inFrame())).isTrue();
        assertThat(session.stream().flatMap(c -> c.frames().stream()).anyMatch(f -> f.inFrame() && f.hidden())).isTrue();
    }

    @Test
    void capturesDifferInLookNotOnlyInViewpoint() {
        // the same camera path rendered in two captures' looks: brightness, contrast and noise differ
        ArmTrajectory.Kind kind = ArmTrajectory.Kind.values()[0];
        double[] means = new double[6];
        double[] noise = new double[6];
        for (int i = 0; i < 6; i++) {
            java.util.Random random = new java.util.Random(100 + i);
            SceneLook look = SceneLook.random(random);
            var image = new FrameRenderer(new SatelliteMockup(), look).render(
                    ArmTrajectory.random(kind, new java.util.Random(5)).cameraAt(0.5), new java.util.Random(1));
            byte[] px = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
            double sum = 0;
            for (byte b : px) {
                sum += b & 0xff;
            }
            means[i] = sum / px.length;
            noise[i] = look.noiseSigma();
        }
        double lo = java.util.Arrays.stream(means).min().orElseThrow();
        double hi = java.util.Arrays.stream(means).max().orElseThrow();
        assertThat(hi - lo).as("mean grey levels %s", java.util.Arrays.toString(means)).isGreaterThan(10);
        assertThat(java.util.Arrays.stream(noise).max().orElseThrow() - java.util.Arrays.stream(noise).min().orElseThrow())
                .isGreaterThan(2);
    }

    @Test
    void eachCaptureStandsInARoomOfItsOwnUnlessTheOriginalLabIsAskedFor() {
        SimulatedCapture varied = LabSession.render(9, 1, 3).get(0);
        SimulatedCapture original = LabSession.render(9, 1, 3, LabSession.Rooms.ORIGINAL).get(0);
        for (int i = 0; i < 3; i++) {
            // the same camera path (the tip where it was), another room around the mock-up
            assertThat(varied.frames().get(i).tipX()).isEqualTo(original.frames().get(i).tipX());
            assertThat(varied.frames().get(i).tipY()).isEqualTo(original.frames().get(i).tipY());
            assertThat(varied.labelledRigFrames().get(i).png()).isNotEqualTo(original.labelledRigFrames().get(i).png());
        }
    }
}
