package tipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.SafeZip;

class CaptureFilesTest {
    @TempDir
    Path dir;

    private static final VideoFrames.Settings VIDEO = VideoFrames.Settings.standard(false);

    static BufferedImage frame(int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        Random random = new Random(seed);
        for (int i = 0; i < pixels.length; i++) { // smooth enough for a lossy codec, distinct per seed
            pixels[i] = (byte) (((i % width) + (i / width) + seed * 37 + random.nextInt(3)) & 0xff);
        }
        return image;
    }

    static byte[] png(long seed) {
        return PngFrameCodec.encode(frame(528, 406, seed));
    }

    private CaptureFiles stage(Path path, String capture) throws Exception {
        return CaptureFiles.stage(path, capture, SafeZip.Limits.standard(), VIDEO);
    }

    @Test
    void aFolderGivesItsPngsWithTheirCapturesAndSkipsTheRest() throws Exception {
        Path root = Files.createDirectories(dir.resolve("session"));
        Files.createDirectories(root.resolve("20260101-A"));
        Files.write(root.resolve("20260101-A/20260101-A-camL0001.png"), png(1));
        Files.write(root.resolve("20260101-A/20260101-A-camL0000.png"), png(0));
        Files.createDirectories(root.resolve("lab-b"));
        Files.write(root.resolve("lab-b/frame7.png"), png(7));
        Files.writeString(root.resolve("notes.txt"), "not a frame");
        try (CaptureFiles files = stage(root, null)) {
            assertThat(files.frames()).extracting(CaptureFiles.Frame::captureId, CaptureFiles.Frame::name)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("20260101-A", "20260101-A-camL0000.png"),
                            org.assertj.core.groups.Tuple.tuple("20260101-A", "20260101-A-camL0001.png"),
                            org.assertj.core.groups.Tuple.tuple("lab-b", "frame7.png"));
            assertThat(files.skipped()).containsExactly("notes.txt");
        }
        try (CaptureFiles files = stage(root, "mine")) {
            assertThat(files.frames()).allSatisfy(f -> assertThat(f.captureId()).isEqualTo("mine"));
        }
    }

    @Test
    void framesOfAnotherSizeAreScaledToTheLabsOnlyWhenAsked() throws Exception {
        Path root = Files.createDirectories(dir.resolve("phone"));
        BufferedImage colour = new BufferedImage(264, 203, BufferedImage.TYPE_INT_RGB);
        colour.setRGB(10, 10, 0xffffff);
        ImageIO.write(colour, "png", root.resolve("p-camL0000.png").toFile());
        Files.write(root.resolve("p-camL0001.png"), png(1)); // already the lab's size
        try (CaptureFiles files = stage(root, null)) {
            assertThat(files.frames().get(0).png()).isEqualTo(root.resolve("p-camL0000.png")); // ingest refuses it
        }
        try (CaptureFiles files = CaptureFiles.stage(root, null, SafeZip.Limits.standard(),
                VideoFrames.Settings.standard(true))) {
            BufferedImage scaled = ImageIO.read(files.frames().get(0).png().toFile());
            assertThat(scaled.getWidth()).isEqualTo(528);
            assertThat(scaled.getHeight()).isEqualTo(406);
            assertThat(scaled.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
            assertThat(scaled.getRaster().getSample(21, 21, 0)).as("the white pixel, doubled").isGreaterThan(100);
            assertThat(files.frames().get(1).png()).isEqualTo(root.resolve("p-camL0001.png"));
        }
    }

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void aZipIsStagedWholeAndItsFramesKeepTheirBytes() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("session/c1-camL0000.png", png(0));
        entries.put("session/c1-camL0001.png", png(1));
        entries.put("readme.md", "hello".getBytes());
        Path zip = Files.write(dir.resolve("lab 7.zip"), zip(entries));
        try (CaptureFiles files = stage(zip, null)) {
            assertThat(files.frames()).extracting(CaptureFiles.Frame::name)
                    .containsExactly("c1-camL0000.png", "c1-camL0001.png");
            assertThat(Files.readAllBytes(files.frames().get(1).png())).isEqualTo(png(1));
            assertThat(files.skipped()).containsExactly("readme.md");
        }
    }

    @Test
    void hostileAndBrokenArchivesAreRefusedWhole() throws Exception {
        byte[] good = zip(Map.of("c1-camL0000.png", png(0), "c1-camL0001.png", png(1)));
        Map<String, byte[]> cases = new LinkedHashMap<>();
        Map<String, String> why = new LinkedHashMap<>();
        cases.put("slip.zip", zip(Map.of("../../c1-camL0000.png", png(0))));
        why.put("slip.zip", "zip slip");
        cases.put("absolute.zip", zip(Map.of("/etc/c1-camL0000.png", png(0))));
        why.put("absolute.zip", "absolute path");
        cases.put("bomb.zip", zip(Map.of("c1-camL0000.png", new byte[50_000_000])));
        why.put("bomb.zip", "zip bomb");
        cases.put("truncated.zip", Arrays.copyOf(good, good.length - 40));
        why.put("truncated.zip", "truncated or corrupt zip");
        cases.put("corrupt.zip", "PK\u0003\u0004 this is no zip at all".getBytes());
        why.put("corrupt.zip", "truncated or corrupt zip");
        cases.put("twice.zip", zip(Map.of("a/c1-camL0000.png", png(0), "b/c1-camL0000.png", png(1))));
        why.put("twice.zip", "two frames named c1-camL0000.png");
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
            Path file = Files.write(dir.resolve(c.getKey()), c.getValue());
            assertThatThrownBy(() -> stage(file, null)).as(c.getKey())
                    .isInstanceOf(CaptureFiles.RefusedInputException.class).hasMessageContaining(c.getKey())
                    .hasMessageContaining(why.get(c.getKey()));
        }
        Files.write(dir.resolve("many.zip"), good);
        SafeZip.Limits two = new SafeZip.Limits(1, 64 << 20, 1 << 30, 200);
        assertThatThrownBy(() -> CaptureFiles.stage(dir.resolve("many.zip"), null, two, VIDEO))
                .hasMessageContaining("over the limit of 1");
        assertThatThrownBy(() -> stage(Files.writeString(dir.resolve("frames.rar"), "x"), null))
                .hasMessageContaining("not a PNG, a folder, a zip or tar archive, or a video");
        assertThatThrownBy(() -> stage(dir.resolve("missing"), null)).hasMessageContaining("no such file");
    }

    @Test
    void aTarGzIsStagedAndATruncatedOneRefused() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(bytes); TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            for (int i = 0; i < 3; i++) {
                byte[] content = png(i);
                TarArchiveEntry entry = new TarArchiveEntry("shots/c9-camL000" + i + ".png");
                entry.setSize(content.length);
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        Path tgz = Files.write(dir.resolve("c9.tar.gz"), bytes.toByteArray());
        try (CaptureFiles files = stage(tgz, null)) {
            assertThat(files.frames()).hasSize(3).allSatisfy(f -> assertThat(f.captureId()).isEqualTo("c9"));
            assertThat(Files.readAllBytes(files.frames().get(2).png())).isEqualTo(png(2));
        }
        Path cut = Files.write(dir.resolve("cut.tgz"), Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
        assertThatThrownBy(() -> stage(cut, null)).isInstanceOf(CaptureFiles.RefusedInputException.class)
                .hasMessageContaining("truncated or corrupt tar");
    }

    /** A lossless gray video (FFV1 in Matroska), so decoded frames can be compared pixel for pixel. */
    static Path video(Path file, int width, int height, int frames, String format, int codec) throws Exception {
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), width, height);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            recorder.setFormat(format);
            recorder.setVideoCodec(codec);
            recorder.setPixelFormat(codec == avcodec.AV_CODEC_ID_FFV1 ? avutil.AV_PIX_FMT_GRAY8 : avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(10);
            recorder.start();
            for (int i = 0; i < frames; i++) {
                recorder.record(converter.convert(frame(width, height, i)));
            }
            recorder.stop();
        }
        return file;
    }

    @Test
    void aVideosFramesAreNamedByNumberAndDecodedExactly() throws Exception {
        Path mkv = video(dir.resolve("20261202-RIG1.mkv"), 528, 406, 5, "matroska", avcodec.AV_CODEC_ID_FFV1);
        try (CaptureFiles files = stage(mkv, null)) {
            assertThat(files.frames()).extracting(CaptureFiles.Frame::name).containsExactly("20261202-RIG1-camL0000.png",
                    "20261202-RIG1-camL0001.png", "20261202-RIG1-camL0002.png", "20261202-RIG1-camL0003.png",
                    "20261202-RIG1-camL0004.png");
            BufferedImage third = ImageIO.read(files.frames().get(3).png().toFile());
            assertThat(third.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
            assertThat(((DataBufferByte) third.getRaster().getDataBuffer()).getData())
                    .isEqualTo(((DataBufferByte) frame(528, 406, 3).getRaster().getDataBuffer()).getData());
        }
    }

    @Test
    void aVideoOfAnotherSizeIsRefusedUnlessResizedAndLimitsHold() throws Exception {
        Path small = video(dir.resolve("small.mkv"), 320, 240, 3, "matroska", avcodec.AV_CODEC_ID_FFV1);
        assertThatThrownBy(() -> stage(small, null)).hasMessageContaining("320 x 240").hasMessageContaining("--resize");
        try (CaptureFiles files = CaptureFiles.stage(small, "rig", SafeZip.Limits.standard(),
                VideoFrames.Settings.standard(true))) {
            assertThat(files.frames()).hasSize(3);
            BufferedImage resized = ImageIO.read(files.frames().get(0).png().toFile());
            assertThat(resized.getWidth()).isEqualTo(528);
            assertThat(resized.getHeight()).isEqualTo(406);
        }
        Path five = video(dir.resolve("five.mkv"), 528, 406, 5, "matroska", avcodec.AV_CODEC_ID_FFV1);
        assertThatThrownBy(() -> CaptureFiles.stage(five, null, SafeZip.Limits.standard(),
                new VideoFrames.Settings(528, 406, false, 3, 4096, 4096))).hasMessageContaining("over");
        assertThatThrownBy(() -> CaptureFiles.stage(five, null, SafeZip.Limits.standard(),
                new VideoFrames.Settings(528, 406, false, 100, 500, 500))).hasMessageContaining("over the limit of 500 x 500");
    }

    @Test
    void brokenVideosAreRefusedAndNothingIsStaged() throws Exception {
        Path mp4 = video(dir.resolve("whole.mp4"), 528, 406, 8, "mp4", avcodec.AV_CODEC_ID_MPEG4);
        byte[] bytes = Files.readAllBytes(mp4);
        List<Path> broken = List.of(Files.write(dir.resolve("empty.mp4"), new byte[0]),
                Files.write(dir.resolve("noise.avi"), new Random(3).ints(20_000, 0, 256).collect(
                        ByteArrayOutputStream::new, (o, b) -> o.write(b), (a, b) -> { }).toByteArray()),
                Files.write(dir.resolve("cut.mp4"), Arrays.copyOf(bytes, bytes.length / 2)));
        for (Path video : broken) {
            assertThatThrownBy(() -> stage(video, null)).as(video.toString())
                    .isInstanceOf(CaptureFiles.RefusedInputException.class).hasMessageContaining(video.toString())
                    .hasMessageMatching(".*(not a video FFmpeg can decode|no video stream|no frame could be decoded"
                            + "|decoding (failed|stopped)).*");
        }
        try (CaptureFiles files = stage(mp4, "whole")) {
            assertThat(files.frames()).hasSize(8);
        }
    }
}
