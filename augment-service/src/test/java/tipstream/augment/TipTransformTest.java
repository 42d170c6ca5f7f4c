package tipstream.augment;

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
}
