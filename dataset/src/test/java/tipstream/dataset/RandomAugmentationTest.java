package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomAugmentationTest {
    /** Views only: every geometric part at full strength, no blur, no change of look, no noise. */
    private static final RandomAugmentation VIEWS = new RandomAugmentation(
            new RandomAugmentation.Settings(0.15, 1.25, 25, 0.5, 0.12, 0, 0, 0, 0, 1, 1, 0, 0, 0));

    /** A dark 264 x 203 image (a 528 x 406 frame at half size) with a bright 5 x 5 marker centred on the tip. */
    private static BufferedImage marker(double tipX, double tipY) {
        BufferedImage image = new BufferedImage(264, 203, BufferedImage.TYPE_BYTE_GRAY);
        double cx = tipX / 2;
        double cy = tipY / 2;
        for (int j = 0; j < 203; j++) {
            for (int i = 0; i < 264; i++) {
                boolean on = Math.abs(i + 0.5 - cx) <= 2.5 && Math.abs(j + 0.5 - cy) <= 2.5;
                image.getRaster().setSample(i, j, 0, on ? 250 : 10);
            }
        }
        return image;
    }

    /** The centre of the brightness above the background (10), in image pixels, and the brightest pixel. */
    private static double[] centroid(BufferedImage image) {
        byte[] px = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        int max = 0;
        for (byte b : px) {
            max = Math.max(max, b & 0xff);
        }
        double sx = 0;
        double sy = 0;
        double sum = 0;
        for (int i = 0; i < px.length; i++) {
            double v = (px[i] & 0xff) - 10;
            if (v > 0) {
                sx += v * (i % image.getWidth() + 0.5);
                sy += v * (i / image.getWidth() + 0.5);
                sum += v;
            }
        }
        return new double[] {sx / sum, sy / sum, max};
    }

    @Test
    void theTipMovesWithThePixels() {
        Random random = new Random(5);
        double sumX = 0;
        double sumY = 0;
        int checked = 0;
        for (int trial = 0; trial < 80; trial++) {
            double x = 60 + 408 * random.nextDouble();
            double y = 50 + 306 * random.nextDouble();
            RandomAugmentation.Result out = VIEWS.apply(marker(x, y), true, x, y, 528, 406, new Random(trial));
            if (!out.visible()) {
                continue;
            }
            double[] c = centroid(out.image());
            if (c[0] < 6 || c[1] < 6 || c[0] > 258 || c[1] > 197) {
                continue; // a marker cut by the border has its centroid moved inwards
            }
            // each within 1 px of the image (the resampled marker's centroid is itself that exact)
            double ex = out.tipX() / 2 - c[0];
            double ey = out.tipY() / 2 - c[1];
            assertThat(Math.hypot(ex, ey)).as("trial %d", trial).isLessThan(1.0);
            sumX += ex;
            sumY += ey;
            checked++;
        }
        assertThat(checked).isGreaterThan(50);
        // and no bias: a half-pixel convention slip would move every label by 0.25-0.5 px
        assertThat(Math.abs(sumX / checked)).isLessThan(0.1);
        assertThat(Math.abs(sumY / checked)).isLessThan(0.1);
    }

    @Test
    void aTipPushedOutOfViewBecomesNoTip() {
        RandomAugmentation far = new RandomAugmentation(
                new RandomAugmentation.Settings(0.6, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0));
        int outside = 0;
        for (int trial = 0; trial < 40; trial++) {
            RandomAugmentation.Result out = far.apply(marker(500, 380), true, 500, 380, 528, 406, new Random(trial));
            if (!out.visible()) {
                outside++;
                assertThat(out.tipX()).isEqualTo(-1);
                assertThat(out.tipY()).isEqualTo(-1);
                assertThat(centroid(out.image())[2]).as("no marker left in view").isLessThan(100);
            }
        }
        assertThat(outside).isGreaterThan(5);
        // a frame without a tip stays without one
        assertThat(far.apply(marker(-100, -100), false, -1, -1, 528, 406, new Random(1)).visible()).isFalse();
    }

    @Test
    void theLookNeverMovesTheTipAndStaysInRange() {
        RandomAugmentation looks = new RandomAugmentation(
                new RandomAugmentation.Settings(0, 1, 0, 0, 0, 0.3, 1.5, 0.3, 7, 1.6, 1.5, 0.15, 1, 8));
        for (int trial = 0; trial < 20; trial++) {
            RandomAugmentation.Result out = looks.apply(marker(201, 99), true, 201, 99, 528, 406, new Random(trial));
            assertThat(out.visible()).isTrue();
            assertThat(out.tipX()).isCloseTo(201, within(1e-9));
            assertThat(out.tipY()).isCloseTo(99, within(1e-9));
            // the brightest pixel is still the marker's
            byte[] px = ((DataBufferByte) out.image().getRaster().getDataBuffer()).getData();
            int brightest = 0;
            for (int i = 1; i < px.length; i++) {
                brightest = (px[i] & 0xff) > (px[brightest] & 0xff) ? i : brightest;
            }
            assertThat(Math.abs(brightest % 264 + 0.5 - 100.5)).isLessThanOrEqualTo(3.0);
            assertThat(Math.abs(brightest / 264 + 0.5 - 49.5)).isLessThanOrEqualTo(3.0);
        }
    }

    @Test
    void theStandardViewNeverMirrors() {
        // a tip left of centre stays left of centre: shift, rotation, scale and keystone cannot carry
        // it across, only a mirror could
        RandomAugmentation standard = new RandomAugmentation(RandomAugmentation.standard());
        for (int trial = 0; trial < 200; trial++) {
            TipTransform view = standard.randomView(264, 203, new Random(trial));
            assertThat(view.x(40, 101.5)).isLessThan(132);
        }
        RandomAugmentation mirroring = new RandomAugmentation(RandomAugmentation.standard().withFlipChance(1));
        assertThat(mirroring.randomView(264, 203, new Random(1)).x(40, 101.5)).isGreaterThan(132);
    }

    @Test
    void theSameSeedGivesTheSameSample() {
        RandomAugmentation standard = new RandomAugmentation(RandomAugmentation.standard());
        BufferedImage image = marker(300, 200);
        var a = standard.apply(image, true, 300, 200, 528, 406, new Random(42));
        var b = standard.apply(image, true, 300, 200, 528, 406, new Random(42));
        var c = standard.apply(image, true, 300, 200, 528, 406, new Random(43));
        byte[] pa = ((DataBufferByte) a.image().getRaster().getDataBuffer()).getData();
        assertThat(((DataBufferByte) b.image().getRaster().getDataBuffer()).getData()).isEqualTo(pa);
        assertThat(b.tipX()).isEqualTo(a.tipX());
        assertThat(((DataBufferByte) c.image().getRaster().getDataBuffer()).getData()).isNotEqualTo(pa);
    }

    @Test
    void sensorNoiseIsZeroMeanUncorrelatedAndFreshEachDraw() {
        // noise only, always, sigma up to 8 grey levels, on a flat mid-grey image
        RandomAugmentation noise = new RandomAugmentation(
                new RandomAugmentation.Settings(0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 8));
        BufferedImage flat = new BufferedImage(264, 203, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Arrays.fill(((DataBufferByte) flat.getRaster().getDataBuffer()).getData(), (byte) 128);
        byte[] previous = null;
        int noisy = 0;
        for (int trial = 0; trial < 10; trial++) {
            byte[] px = ((DataBufferByte) noise.apply(flat, false, -1, -1, 528, 406, new Random(trial)).image()
                    .getRaster().getDataBuffer()).getData();
            double sum = 0;
            double sq = 0;
            double lag = 0;
            for (int i = 0; i < px.length; i++) {
                double v = (px[i] & 0xff) - 128;
                sum += v;
                sq += v * v;
                lag += i + 1 < px.length ? v * ((px[i + 1] & 0xff) - 128) : 0;
            }
            double sd = Math.sqrt(sq / px.length);
            assertThat(sd).as("trial %d", trial).isLessThanOrEqualTo(8.1);
            if (sd < 1) {
                continue; // a faint draw: rounding to grey levels dominates
            }
            noisy++;
            assertThat(Math.abs(sum / px.length)).as("mean, trial %d", trial).isLessThan(0.1 * sd);
            assertThat(Math.abs(lag / sq)).as("neighbour correlation, trial %d", trial).isLessThan(0.05);
            assertThat(px).isNotEqualTo(previous);
            previous = px;
        }
        assertThat(noisy).isGreaterThan(5);
    }
}
