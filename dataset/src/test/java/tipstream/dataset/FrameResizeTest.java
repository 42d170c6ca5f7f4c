package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class FrameResizeTest {
    @Test
    void halvingAveragesEachTwoByTwoBlockRounded() {
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        frame.getRaster().setSample(0, 0, 0, 255);
        frame.getRaster().setSample(1, 0, 0, 255);
        frame.getRaster().setSample(0, 1, 0, 51);
        frame.getRaster().setSample(2, 0, 0, 1);
        frame.getRaster().setSample(527, 405, 0, 200);
        BufferedImage half = FrameResize.to(frame, 264, 203);
        assertThat(half.getWidth()).isEqualTo(264);
        assertThat(half.getHeight()).isEqualTo(203);
        assertThat(half.getRaster().getSample(0, 0, 0)).isEqualTo(140); // (255 + 255 + 51 + 0) / 4 = 140.25
        assertThat(half.getRaster().getSample(1, 0, 0)).isEqualTo(0);   // 1 / 4 rounds to 0
        assertThat(half.getRaster().getSample(263, 202, 0)).isEqualTo(50);
    }

    @Test
    void sameSizeIsReturnedAsIsAndOtherSizesAreScaled() {
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        assertThat(FrameResize.to(frame, 528, 406)).isSameAs(frame);
        BufferedImage small = FrameResize.to(frame, 100, 77);
        assertThat(small.getWidth()).isEqualTo(100);
        assertThat(small.getHeight()).isEqualTo(77);
    }
}
