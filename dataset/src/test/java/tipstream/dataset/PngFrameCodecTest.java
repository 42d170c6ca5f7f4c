package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tipstream.v1.DatasetSample;

class PngFrameCodecTest {
    private final PngFrameCodec codec = new PngFrameCodec(FrameFormat.LAB_CAMERA, 4 << 20);

    static byte[] png(BufferedImage image) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    static BufferedImage gray(int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.getRaster().setSample(x, y, 0, (x * 7 + y * 3) & 0xff);
            }
        }
        return image;
    }

    @Test
    void aSampleDecodesToItsFrameAndOneThatDoesNotIsNamedInTheFailure() throws Exception {
        BufferedImage image = new BufferedImage(32, 24, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(5, 7, 0, 200);
        DatasetSample sample = DatasetSample.newBuilder().setCaptureId("cap-1").setFrameName("cap-1-camL0003.png")
                .setPng(ByteString.copyFrom(PngFrameCodec.encode(image))).build();
        BufferedImage decoded = PngFrameCodec.decodeSample(sample);
        assertThat(decoded.getWidth()).isEqualTo(32);
        assertThat(decoded.getRaster().getSample(5, 7, 0)).isEqualTo(200);

        DatasetSample broken = sample.toBuilder().setPng(ByteString.copyFromUtf8("GIF89a")).build();
        assertThatThrownBy(() -> PngFrameCodec.decodeSample(broken)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("sample cap-1/cap-1-camL0003.png: ");
    }

    @Test
    void grayscaleFrameIsKeptByteForByte() throws Exception {
        byte[] bytes = png(gray(528, 406));
        PngFrameCodec.CheckedFrame frame = codec.check(bytes);
        assertThat(frame.png()).isSameAs(bytes);
        assertThat(frame.image().getRaster().getSample(10, 20, 0)).isEqualTo((70 + 60) & 0xff);
    }

    @Test
    void rgbFrameIsConvertedToGrayLuma() throws Exception {
        BufferedImage rgb = new BufferedImage(528, 406, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(5, 5, 0x808080);
        rgb.setRGB(6, 5, 0xff0000);
        PngFrameCodec.CheckedFrame frame = codec.check(png(rgb));
        assertThat(frame.image().getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        assertThat(frame.image().getRaster().getSample(5, 5, 0)).isEqualTo(128);
        assertThat(frame.image().getRaster().getSample(6, 5, 0)).isEqualTo(76);
        assertThat(ImageIO.read(new java.io.ByteArrayInputStream(frame.png())).getType())
                .isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
    }

    @Test
    void sixteenBitGrayIsScaledToEightBit() throws Exception {
        BufferedImage deep = new BufferedImage(528, 406, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setSample(3, 4, 0, 65535);
        deep.getRaster().setSample(4, 4, 0, 32896);
        PngFrameCodec.CheckedFrame frame = codec.check(png(deep));
        assertThat(frame.image().getRaster().getSample(3, 4, 0)).isEqualTo(255);
        assertThat(frame.image().getRaster().getSample(4, 4, 0)).isEqualTo(128);
    }

    @Test
    void notAPngIsRefused() {
        assertThatThrownBy(() -> codec.check("GIF89a not a png at all".getBytes()))
                .isInstanceOf(InvalidFrameException.class).hasMessageContaining("not a PNG");
        assertThatThrownBy(() -> codec.check(new byte[0])).hasMessageContaining("empty");
    }

    @Test
    void truncatedPngIsRefused() throws Exception {
        byte[] bytes = png(gray(528, 406));
        byte[] cut = Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> codec.check(cut)).isInstanceOf(InvalidFrameException.class)
                .hasMessageContaining("corrupt or truncated");
    }

    @Test
    void wrongDimensionsAreRefused() throws Exception {
        byte[] small = png(gray(100, 80));
        assertThatThrownBy(() -> codec.check(small)).hasMessageContaining("100 x 80 pixels, expected 528 x 406");
    }

    @Test
    void headerClaimingHugeSizeIsRefusedBeforeDecoding() throws Exception {
        byte[] bytes = png(gray(528, 406));
        // IHDR starts at byte 8: length(4) "IHDR"(4) width(4) height(4) ...; fix its CRC so only the size lies
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        buf.putInt(16, 1_000_000).putInt(20, 1_000_000);
        CRC32 crc = new CRC32();
        crc.update(bytes, 12, 17);
        buf.putInt(29, (int) crc.getValue());
        assertThatThrownBy(() -> codec.check(bytes)).isInstanceOf(InvalidFrameException.class)
                .hasMessageContaining("1000000 x 1000000 pixels");
    }

    @Test
    void oversizedUploadIsRefusedBeforeParsing() {
        PngFrameCodec tiny = new PngFrameCodec(FrameFormat.LAB_CAMERA, 100);
        assertThatThrownBy(() -> tiny.check(new byte[101])).hasMessageContaining("over the limit of 100");
    }

    @Test
    void aStoredFrameDecodesInMemoryToItsPixels() throws Exception {
        boolean cached = ImageIO.getUseCache();
        ImageIO.setUseCache(true); // as in a service that never set it: the stored frame must still decode in memory
        try {
            BufferedImage image = PngFrameCodec.decodeStored(png(gray(528, 406)));
            assertThat(image.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
            assertThat(image.getWidth()).isEqualTo(528);
            assertThat(image.getRaster().getSample(10, 20, 0)).isEqualTo((70 + 60) & 0xff);
            assertThat(image.getRaster().getSample(527, 405, 0)).isEqualTo((527 * 7 + 405 * 3) & 0xff);
        } finally {
            ImageIO.setUseCache(cached);
        }
    }

    @Test
    void aStoredFrameThatIsNotGrayscaleOrNotAPngIsRefused() throws Exception {
        assertThatThrownBy(() -> PngFrameCodec.decodeStored(png(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB))))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("not an 8-bit grayscale PNG");
        assertThatThrownBy(() -> PngFrameCodec.decodeStored("not a png".getBytes()))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("not an 8-bit grayscale PNG");
        byte[] bytes = png(gray(528, 406));
        assertThatThrownBy(() -> PngFrameCodec.decodeStored(Arrays.copyOf(bytes, bytes.length / 2)))
                .isInstanceOf(java.io.IOException.class);
    }
}
