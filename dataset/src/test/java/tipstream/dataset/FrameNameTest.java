package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FrameNameTest {
    @Test
    void rigNamesCarryCaptureCameraAndIndex() {
        FrameName a = FrameName.parse("20180727-OG3_04_45-camL0000.png", "");
        assertThat(a.captureId()).isEqualTo("20180727-OG3_04_45");
        assertThat(a.camera()).isEqualTo("L");
        assertThat(a.index()).isZero();
        FrameName b = FrameName.parse("Image_IMU_20180914-20180914_152038-camR0090.png", null);
        assertThat(b.captureId()).isEqualTo("Image_IMU_20180914-20180914_152038");
        assertThat(b.camera()).isEqualTo("R");
        assertThat(b.index()).isEqualTo(90);
    }

    @Test
    void explicitCaptureIdWinsAndIsNeededForOtherNames() {
        assertThat(FrameName.parse("frame_7.png", "lab-1").captureId()).isEqualTo("lab-1");
        assertThat(FrameName.parse("x-camL0001.png", "lab-1").captureId()).isEqualTo("lab-1");
        assertThatThrownBy(() -> FrameName.parse("frame_7.png", ""))
                .hasMessageContaining("does not name its capture");
    }

    @Test
    void pathsAndOddNamesAreRefused() {
        for (String bad : new String[] {"../etc/passwd.png", "a/b-camL0001.png", "a\\b.png", "/abs.png",
                "..-camL0001.png", "a\u0000b.png", ".hidden.png", "x".repeat(300) + ".png", ""}) {
            assertThatThrownBy(() -> FrameName.parse(bad, "cap")).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> FrameName.parse("ok.png", "../cap")).hasMessageContaining("capture id");
        assertThatThrownBy(() -> FrameName.parse("frame.jpg", "cap")).hasMessageContaining(".png");
    }
}
