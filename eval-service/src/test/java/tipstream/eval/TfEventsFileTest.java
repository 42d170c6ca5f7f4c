package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import tipstream.v1.MetricEvent;
import tipstream.v1.TensorBoardEvent;

class TfEventsFileTest {
    @Test
    void crc32cAndItsMaskMatchKnownValues() {
        CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertThat(crc.getValue()).isEqualTo(0xE3069283L); // the CRC-32C check value
        // masked = rotr15(crc) + 0xa282ead8, worked by hand for crc 0xE3069283:
        // rotr15 = (0xE3069283 >>> 15) | (0xE3069283 << 17) = 0x0001C60D | 0x25060000 = 0x2507C60D
        assertThat(TfEventsFile.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0x2507C60D + 0xa282ead8);
    }

    @Test
    void fileStartsWithTheVersionAndHoldsOneScalarPerEvent() throws Exception {
        List<MetricEvent> events = List.of(
                MetricEvent.newBuilder().setRun("r/eval").setTag("metrics/dist_mean").setStep(100).setValue(1.352)
                        .setWallTimeMs(1_700_000_000_500L).build(),
                MetricEvent.newBuilder().setRun("r/eval").setTag("accuracy/point_mean").setStep(100).setValue(0.982)
                        .setWallTimeMs(1_700_000_001_000L).build());
        byte[] file = TfEventsFile.of(events, 1_700_000_000_000L);
        List<TensorBoardEvent> read = TfEventsFile.read(file);
        assertThat(read).hasSize(3);
        assertThat(read.get(0).getFileVersion()).isEqualTo("brain.Event:2");
        assertThat(read.get(1).getStep()).isEqualTo(100);
        assertThat(read.get(1).getWallTime()).isEqualTo(1_700_000_000.5);
        assertThat(read.get(1).getSummary().getValue(0).getTag()).isEqualTo("metrics/dist_mean");
        assertThat(read.get(1).getSummary().getValue(0).getSimpleValue()).isEqualTo(1.352f);
        // the first record's framing, byte by byte: 8-byte little-endian length
        int firstLength = read.get(0).toByteArray().length;
        assertThat(file[0] & 0xff).isEqualTo(firstLength);
        assertThat(file[1]).isZero();
        assertThat(TfEventsFile.fileName(1_700_000_000_000L, "eval-0")).isEqualTo("events.out.tfevents.1700000000.eval-0");
    }

    @Test
    void aFileNameCarriesItsTimeToTheSecond() {
        String name = TfEventsFile.fileName(1_700_000_000_999L, "tipstream");
        assertThat(name).isEqualTo("events.out.tfevents.1700000000.tipstream");
        assertThat(TfEventsFile.createdAtMs(name)).isEqualTo(1_700_000_000_000L);
        assertThat(TfEventsFile.createdAtMs("events.out.tfevents.later.tipstream")).isZero();
        assertThat(TfEventsFile.createdAtMs("notes.txt")).isZero();
    }

    @Test
    void corruptFilesAreDetected() throws Exception {
        byte[] file = TfEventsFile.of(List.of(MetricEvent.newBuilder().setTag("t").setStep(1).build()), 0);
        byte[] flipped = file.clone();
        flipped[file.length - 6] ^= 1;
        assertThatThrownBy(() -> TfEventsFile.read(flipped)).hasMessageContaining("checksum");
        assertThatThrownBy(() -> TfEventsFile.read(java.util.Arrays.copyOf(file, file.length - 3)))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void anImageSummaryCarriesItsPngAndSize() throws Exception {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(30, 20,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        image.setRGB(3, 4, 0xff0000);
        List<TensorBoardEvent> read = TfEventsFile.read(TfEventsFile.ofImage("eval/worst_frames", 42, image, 1_700_000_000_000L));
        assertThat(read).hasSize(2);
        assertThat(read.get(0).getFileVersion()).isEqualTo(TfEventsFile.FILE_VERSION);
        assertThat(read.get(1).getStep()).isEqualTo(42);
        var value = read.get(1).getSummary().getValue(0);
        assertThat(value.getTag()).isEqualTo("eval/worst_frames");
        assertThat(value.getImage().getWidth()).isEqualTo(30);
        assertThat(value.getImage().getHeight()).isEqualTo(20);
        assertThat(value.getImage().getColorspace()).isEqualTo(3);
        var back = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                value.getImage().getEncodedImageString().toByteArray()));
        assertThat(back.getRGB(3, 4) & 0xffffff).isEqualTo(0xff0000);
    }
}
