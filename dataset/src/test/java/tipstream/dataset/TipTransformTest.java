package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TipTransformTest {
    @Test
    void rotationKeepsItsCentreAndTurnsCounterClockwiseOnScreen() {
        TipTransform quarter = TipTransform.rotation(90, 264, 203);
        assertThat(quarter.x(264, 203)).isCloseTo(264, within(1e-9));
        assertThat(quarter.y(264, 203)).isCloseTo(203, within(1e-9));
        // 100 px right of the centre goes to 100 px above it (screen y points down)
        assertThat(quarter.x(364, 203)).isCloseTo(264, within(1e-9));
        assertThat(quarter.y(364, 203)).isCloseTo(103, within(1e-9));
    }

    @Test
    void horizontalFlipMirrorsAboutTheVerticalCentreLine() {
        TipTransform flip = TipTransform.horizontalFlip(528);
        assertThat(flip.x(0, 7)).isEqualTo(528);
        assertThat(flip.x(264, 7)).isEqualTo(264);
        assertThat(flip.x(100.25, 7)).isEqualTo(427.75);
        assertThat(flip.y(100.25, 7)).isEqualTo(7);
    }

    @Test
    void openCvMatrixPutsPixelCentresOnIntegers() {
        // OpenCV's own flip maps pixel index i to W - 1 - i
        double[] flip = TipTransform.horizontalFlip(528).toOpenCv();
        assertThat(flip).containsExactly(-1, 0, 527, 0, 1, 0);
        assertThat(TipTransform.IDENTITY.toOpenCv()).containsExactly(1, 0, 0, 0, 1, 0);
        // rotation about the frame centre (264, 203) is rotation about (263.5, 202.5) in OpenCV pixels
        double[] r = TipTransform.rotation(30, 264, 203).toOpenCv();
        double c = Math.cos(Math.toRadians(30));
        double s = Math.sin(Math.toRadians(30));
        assertThat(r[2]).isCloseTo((1 - c) * 263.5 - s * 202.5, within(1e-9));
        assertThat(r[5]).isCloseTo(s * 263.5 + (1 - c) * 202.5, within(1e-9));
    }

    @Test
    void mapsComposeInOrder() {
        // scale by 2 about the origin, then shift right by 10: (3, 4) -> (6, 8) -> (16, 8)
        TipTransform map = TipTransform.scale(2, 0, 0).then(TipTransform.translation(10, 0));
        assertThat(map.x(3, 4)).isEqualTo(16);
        assertThat(map.y(3, 4)).isEqualTo(8);
        TipTransform other = TipTransform.translation(10, 0).then(TipTransform.scale(2, 0, 0));
        assertThat(other.x(3, 4)).isEqualTo(26);
        assertThat(map.isAffine()).isTrue();
    }

    @Test
    void keystoneKeepsItsCentreAndShrinksTheFarSide() {
        TipTransform keystone = TipTransform.perspective(0.001, 0, 132, 101.5);
        assertThat(keystone.isAffine()).isFalse();
        assertThat(keystone.x(132, 101.5)).isCloseTo(132, within(1e-12));
        assertThat(keystone.y(132, 101.5)).isCloseTo(101.5, within(1e-12));
        // 100 px right of the centre: divided by 1 + 0.001 * 100
        assertThat(keystone.x(232, 101.5)).isCloseTo(132 + 100 / 1.1, within(1e-9));
        assertThat(keystone.x(32, 101.5)).isCloseTo(132 - 100 / 0.9, within(1e-9));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(keystone::toOpenCv))
                .isInstanceOf(IllegalStateException.class);
        // OpenCV's homography maps OpenCV pixel centres: (i, j) is our (i + 0.5, j + 0.5)
        double[] h = keystone.toOpenCvHomography();
        double w = h[6] * 231.5 + h[7] * 101 + h[8];
        assertThat((h[0] * 231.5 + h[1] * 101 + h[2]) / w).isCloseTo(keystone.x(232, 101.5) - 0.5, within(1e-9));
    }
}
