package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.Random;
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

    @Test
    void aOnePixelRodKeepsItsShareAtAQuarterWhereverItFalls() {
        // Java2D's bilinear scaling read about 2 of every 4 columns: a rod in the others vanished
        for (int column = 200; column < 204; column++) {
            BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 406; y++) {
                frame.getRaster().setSample(column, y, 0, 255);
            }
            BufferedImage quarter = FrameResize.to(frame, 132, 102);
            for (int y = 0; y < 102; y++) {
                assertThat(quarter.getRaster().getSample(50, y, 0)).as("row %d, rod at %d", y, column).isEqualTo(64); // 255 / 4
                assertThat(quarter.getRaster().getSample(49, y, 0)).isZero();
                assertThat(quarter.getRaster().getSample(51, y, 0)).isZero();
            }
        }
    }

    @Test
    void aPixelCutByAFootprintsEdgeIsSharedByWhatItCovers() {
        // 406 rows to 102: each output row covers 3.98 frame rows, so frame row 3 lies 0.98 in the first and 0.02 in the second
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 528; x++) {
            frame.getRaster().setSample(x, 3, 0, 200);
        }
        BufferedImage quarter = FrameResize.to(frame, 132, 102);
        assertThat(quarter.getRaster().getSample(7, 0, 0)).isEqualTo(49); // 200 x 0.98 / 3.98 = 49.2
        assertThat(quarter.getRaster().getSample(7, 1, 0)).isEqualTo(1);  // 200 x 0.02 / 3.98 = 1.0
        assertThat(quarter.getRaster().getSample(7, 2, 0)).isZero();
    }

    @Test
    void shrinkingKeepsTheFramesMeanBrightness() {
        Random random = new Random(7);
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        double sum = 0;
        for (int y = 0; y < 406; y++) {
            for (int x = 0; x < 528; x++) {
                int value = random.nextInt(256);
                frame.getRaster().setSample(x, y, 0, value);
                sum += value;
            }
        }
        for (int[] size : new int[][] {{132, 102}, {198, 152}, {100, 77}}) {
            BufferedImage small = FrameResize.to(frame, size[0], size[1]);
            assertThat(mean(small)).as("%d x %d", size[0], size[1]).isCloseTo(sum / (528 * 406), within(0.5));
        }
    }

    @Test
    void aColourFrameIsShrunkAsGray() {
        BufferedImage frame = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        var g = frame.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 4, 8);
        g.dispose();
        BufferedImage small = FrameResize.to(frame, 2, 2);
        assertThat(small.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        assertThat(small.getRaster().getSample(0, 1, 0)).isEqualTo(255);
        assertThat(small.getRaster().getSample(1, 1, 0)).isZero();
    }

    private static double mean(BufferedImage image) {
        double sum = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                sum += image.getRaster().getSample(x, y, 0);
            }
        }
        return sum / (image.getWidth() * image.getHeight());
    }
}
