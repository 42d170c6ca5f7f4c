package tipstream.augment;

import tipstream.dataset.TipTransform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameAugmenterTest {
    private final FrameAugmenter augmenter = new FrameAugmenter();

    /** A black frame with a white disc centred on the tip (pixel (i, j) centred at (i + 0.5, j + 0.5)). */
    static BufferedImage marker(double x, double y) {
        BufferedImage image = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fill(new Ellipse2D.Double(x - 4, y - 4, 8, 8));
        g.dispose();
        return image;
    }

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
    void markerDrawnAtTheTipEndsWhereTheMovedTipSaysForEveryPixelMovingAugmentation() {
        Random random = new Random(3);
        for (Augmentation augmentation : Augmentation.values()) {
            if (!augmentation.movesPixels()) {
                continue;
            }
            for (int k = 0; k < 12; k++) {
                double x = 60 + 400 * random.nextDouble();
                double y = 60 + 280 * random.nextDouble();
                AugmentedFrame out = augmenter.apply(augmentation, marker(x, y), true, x, y, random);
                assertThat(out.visible()).isTrue();
                double[] c = centroid(out.image());
                assertThat(Math.hypot(c[0] - out.tipX(), c[1] - out.tipY()))
                        .as("%s: tip (%.2f, %.2f) -> (%.2f, %.2f), marker at (%.2f, %.2f)", augmentation, x, y,
                                out.tipX(), out.tipY(), c[0], c[1])
                        .isLessThan(0.5);
            }
        }
    }

    @Test
    void tipRotatedOutOfTheFrameBecomesNoTip() {
        AugmentedFrame out = augmenter.transform(marker(2, 2), true, 2, 2, TipTransform.rotation(15, 264, 203));
        assertThat(out.visible()).isFalse();
        assertThat(out.tipX()).isEqualTo(-1);
    }

    @Test
    void framesWithoutATipStayWithoutOne() {
        for (Augmentation augmentation : Augmentation.values()) {
            assertThat(augmenter.apply(augmentation, marker(100, 100), false, -1, -1, new Random(1)).visible())
                    .as(augmentation.name()).isFalse();
        }
    }

    @Test
    void flippingTwiceGivesTheSameFrame() {
        BufferedImage frame = marker(123.4, 56.7);
        AugmentedFrame once = augmenter.apply(Augmentation.FLIP, frame, true, 123.4, 56.7, new Random(1));
        AugmentedFrame twice = augmenter.apply(Augmentation.FLIP, once.image(), true, once.tipX(), once.tipY(),
                new Random(1));
        assertThat(pixels(twice.image())).isEqualTo(pixels(frame));
        assertThat(twice.tipX()).isCloseTo(123.4, within(1e-9));
    }

    @Test
    void photometricAugmentationsKeepTheTipAndChangeThePixelsAsNamed() {
        BufferedImage gray = flat(100);
        assertThat(mean(augmenter.apply(Augmentation.BRIGHTER, gray, true, 5, 5, new Random(1)).image()))
                .isCloseTo(100 + FrameAugmenter.BRIGHTNESS_STEP, within(1e-9));
        assertThat(mean(augmenter.apply(Augmentation.DARKER, gray, true, 5, 5, new Random(1)).image()))
                .isCloseTo(100 - FrameAugmenter.BRIGHTNESS_STEP, within(1e-9));
        AugmentedFrame salted = augmenter.apply(Augmentation.SALT_AND_PEPPER, gray, true, 5, 5, new Random(1));
        long changed = countNot(salted.image(), 100);
        assertThat(changed / (528.0 * 406)).isCloseTo(0.01, within(0.002));
        AugmentedFrame noisy = augmenter.apply(Augmentation.GAUSSIAN_NOISE, gray, true, 5, 5, new Random(1));
        assertThat(mean(noisy.image())).isCloseTo(100, within(0.2));
        assertThat(countNot(noisy.image(), 100)).isGreaterThan(528L * 406 / 2);

        BufferedImage edge = marker(264, 203);
        double before = variance(edge);
        assertThat(variance(augmenter.apply(Augmentation.BLUR, edge, true, 264, 203, new Random(1)).image()))
                .isLessThan(before);
        assertThat(variance(augmenter.apply(Augmentation.SHARPEN, flatWithStep(), true, 264, 203, new Random(1))
                .image())).isGreaterThan(variance(flatWithStep()));
        for (Augmentation a : Augmentation.values()) {
            if (!a.movesPixels()) {
                AugmentedFrame out = augmenter.apply(a, edge, true, 264, 203, new Random(2));
                assertThat(out.tipX()).isEqualTo(264);
                assertThat(out.tipY()).isEqualTo(203);
            }
        }
    }

    private static BufferedImage flat(int value) {
        BufferedImage image = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Arrays.fill(pixels(image), (byte) value);
        return image;
    }

    private static BufferedImage flatWithStep() {
        BufferedImage image = flat(80);
        for (int y = 0; y < 406; y++) {
            for (int x = 264; x < 528; x++) {
                image.getRaster().setSample(x, y, 0, 160);
            }
        }
        return image;
    }

    private static byte[] pixels(BufferedImage image) {
        return ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
    }

    private static double mean(BufferedImage image) {
        double sum = 0;
        for (byte b : pixels(image)) {
            sum += b & 0xff;
        }
        return sum / pixels(image).length;
    }

    private static double variance(BufferedImage image) {
        double m = mean(image);
        double sum = 0;
        for (byte b : pixels(image)) {
            sum += ((b & 0xff) - m) * ((b & 0xff) - m);
        }
        return sum / pixels(image).length;
    }

    private static long countNot(BufferedImage image, int value) {
        long n = 0;
        for (byte b : pixels(image)) {
            if ((b & 0xff) != value) {
                n++;
            }
        }
        return n;
    }
}
