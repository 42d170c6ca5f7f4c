package tipstream.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tipstream.dataset.FrameName;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Sha256;
import tipstream.dataset.Shard;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.FrameRef;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;
import tipstream.v1.TipLabel;

class DatasetAssemblerTest {
    private static final CaptureSplit SPLIT = new CaptureSplit(50, "test");
    private static final List<Augmentation> PLAN = List.of(Augmentation.FLIP, Augmentation.ROTATE, Augmentation.DARKER);
    private final Map<String, byte[]> blobs = new HashMap<>();

    private DatasetAssembler assembler() {
        return new DatasetAssembler("lab", SPLIT, PLAN, FrameFormat.LAB_CAMERA, 264, 203, 7, "test-version");
    }

    private DatasetAssembler.LabelledFrame frame(String capture, int index, boolean visible, double x, double y) {
        return frame(capture, index, visible, x, y, FrameFormat.LAB_CAMERA);
    }

    private DatasetAssembler.LabelledFrame frame(String capture, int index, boolean visible, double x, double y,
            FrameFormat format) {
        BufferedImage image = new BufferedImage(format.width(), format.height(), BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random((capture + index).hashCode());
        random.nextBytes(((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData());
        byte[] png = PngFrameCodec.encode(image);
        String sha = Sha256.hex(png);
        blobs.put("frames/" + sha + ".png", png);
        String name = FrameName.of(capture, index);
        FrameRef ref = FrameRef.newBuilder().setCaptureId(capture).setFrameName(name).setBlobKey("frames/" + sha + ".png")
                .setSha256(sha).setWidth(format.width()).setHeight(format.height()).build();
        TipLabel.Builder label = TipLabel.newBuilder().setCaptureId(capture).setFrameName(name).setVisible(visible)
                .setRevision(1);
        if (visible) {
            label.setTip(Point.newBuilder().setX(x).setY(y));
        }
        return new DatasetAssembler.LabelledFrame(ref, label.build());
    }

    private List<DatasetAssembler.LabelledFrame> captures(int count) {
        List<DatasetAssembler.LabelledFrame> frames = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            for (int i = 0; i < 3; i++) {
                frames.add(frame("cap" + c, i, i != 2, 100 + 10 * c + i, 150 + i));
            }
        }
        return frames;
    }

    @Test
    void firstVersionSplitsByCaptureAugmentsTrainOnlyAndMovesTips() throws Exception {
        List<DatasetAssembler.LabelledFrame> frames = captures(8);
        DatasetAssembler.Build build = assembler().assemble(frames, blobs::get, Optional.empty()).orElseThrow();
        DatasetManifest manifest = build.manifest();
        assertThat(manifest.getVersion()).isEqualTo("1.0.0");
        assertThat(manifest.getCapturesList()).hasSize(8);

        long trainFrames = frames.stream().filter(f -> SPLIT.splitOf(f.frame().getCaptureId()).equals("train")).count();
        long evalFrames = frames.size() - trainFrames;
        assertThat(trainFrames).isPositive();
        assertThat(evalFrames).isPositive();
        List<DatasetSample> train = new ArrayList<>();
        List<DatasetSample> eval = new ArrayList<>();
        for (ShardEntry entry : manifest.getShardsList()) {
            byte[] bytes = build.shards().get(entry.getKey());
            assertThat(Sha256.hex(bytes)).isEqualTo(entry.getSha256());
            assertThat(entry.getSampleCount()).isBetween(1, 7);
            List<DatasetSample> samples = Shard.read(bytes);
            assertThat(samples).hasSize(entry.getSampleCount());
            (entry.getSplit().equals("train") ? train : eval).addAll(samples);
        }
        assertThat(train).hasSize((int) trainFrames * (1 + PLAN.size()));
        assertThat(eval).hasSize((int) evalFrames);
        assertThat(eval).allSatisfy(s -> assertThat(s.getAugmentation()).isEmpty());
        // every sample of a capture sits in that capture's split
        assertThat(train).allSatisfy(s -> assertThat(SPLIT.splitOf(s.getCaptureId())).isEqualTo("train"));

        DatasetSample original = train.stream().filter(s -> s.getAugmentation().isEmpty() && s.getVisible())
                .findFirst().orElseThrow();
        DatasetSample flipped = train.stream().filter(s -> s.getFrameName().equals(original.getFrameName())
                && s.getAugmentation().equals("FLIP")).findFirst().orElseThrow();
        assertThat(flipped.getTip().getX()).isCloseTo(528 - original.getTip().getX(), within(1e-9));
        assertThat(flipped.getTip().getY()).isCloseTo(original.getTip().getY(), within(1e-9));
        BufferedImage small = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(original.getPng().toByteArray()));
        assertThat(small.getWidth()).isEqualTo(264);
        assertThat(small.getHeight()).isEqualTo(203);
    }

    @Test
    void rebuildIsByteIdenticalAndUnchangedInputMakesNoNewVersion() throws Exception {
        List<DatasetAssembler.LabelledFrame> frames = captures(4);
        DatasetAssembler.Build a = assembler().assemble(frames, blobs::get, Optional.empty()).orElseThrow();
        DatasetAssembler.Build b = assembler().assemble(frames, blobs::get, Optional.empty()).orElseThrow();
        assertThat(b.shards().keySet()).isEqualTo(a.shards().keySet());
        a.shards().forEach((key, bytes) -> assertThat(b.shards().get(key)).isEqualTo(bytes));
        assertThat(assembler().assemble(frames, blobs::get, Optional.of(a.manifest()))).isEmpty();
    }

    @Test
    void correctedLabelIsAPatchAndANewCaptureIsAMinorVersion() throws Exception {
        List<DatasetAssembler.LabelledFrame> frames = captures(3);
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty()).orElseThrow().manifest();

        List<DatasetAssembler.LabelledFrame> corrected = new ArrayList<>(frames);
        DatasetAssembler.LabelledFrame old = corrected.get(0);
        corrected.set(0, new DatasetAssembler.LabelledFrame(old.frame(), old.label().toBuilder().setRevision(2)
                .setTip(Point.newBuilder().setX(300).setY(200)).build()));
        DatasetManifest patched = assembler().assemble(corrected, blobs::get, Optional.of(first)).orElseThrow().manifest();
        assertThat(patched.getVersion()).isEqualTo("1.0.1");
        assertThat(patched.getShardsList()).allSatisfy(s -> assertThat(s.getKey()).startsWith("datasets/lab/1.0.1/"));

        List<DatasetAssembler.LabelledFrame> grown = new ArrayList<>(corrected);
        grown.add(frame("cap-new", 0, true, 10, 10));
        assertThat(assembler().assemble(grown, blobs::get, Optional.of(patched)).orElseThrow().manifest().getVersion())
                .isEqualTo("1.1.0");
    }

    @Test
    void framesOfTheConfiguredFormatAreTakenAndRecordedOthersAreRejectedWithTheReason() throws Exception {
        FrameFormat wide = new FrameFormat(640, 480);
        DatasetAssembler assembler = new DatasetAssembler("lab", SPLIT, List.of(), wide, 264, 203, 7, "test-version");
        List<DatasetAssembler.LabelledFrame> frames = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            frames.add(frame("cap" + c, 0, true, 600, 450, wide));
        }
        frames.add(frame("lab", 0, true, 100, 100));
        DatasetAssembler.Build build = assembler.assemble(frames, blobs::get, Optional.empty()).orElseThrow();
        assertThat(build.manifest().getFrameWidth()).isEqualTo(640);
        assertThat(build.manifest().getFrameHeight()).isEqualTo(480);
        assertThat(build.manifest().getShardsList().stream().mapToLong(s -> s.getSampleCount()).sum()).isEqualTo(4);
        assertThat(build.rejected()).singleElement().satisfies(r -> {
            assertThat(r.frame().frame().getCaptureId()).isEqualTo("lab");
            assertThat(r.reason()).contains("528").contains("640");
        });
    }

    @Test
    void anotherInputSizeSplitRuleOrAugmentationIsANewMajorVersion() throws Exception {
        // review R22: samples that mean something else must not pass for a corrected label
        List<DatasetAssembler.LabelledFrame> frames = captures(3);
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty()).orElseThrow().manifest();
        assertThat(first.getVersion()).isEqualTo("1.0.0");
        List<DatasetAssembler> changed = List.of(
                new DatasetAssembler("lab", SPLIT, PLAN, FrameFormat.LAB_CAMERA, 132, 102, 7, "test-version"),
                new DatasetAssembler("lab", new CaptureSplit(50, "other-salt"), PLAN, FrameFormat.LAB_CAMERA, 264, 203,
                        7, "test-version"),
                new DatasetAssembler("lab", new CaptureSplit(30, "test"), PLAN, FrameFormat.LAB_CAMERA, 264, 203, 7,
                        "test-version"),
                new DatasetAssembler("lab", SPLIT, List.of(Augmentation.FLIP), FrameFormat.LAB_CAMERA, 264, 203, 7,
                        "test-version"));
        for (DatasetAssembler other : changed) {
            assertThat(other.assemble(frames, blobs::get, Optional.of(first)).orElseThrow().manifest().getVersion())
                    .isEqualTo("2.0.0");
        }
        // the same assembler with the same frames: nothing new; a new capture: still a minor version
        assertThat(assembler().assemble(frames, blobs::get, Optional.of(first))).isEmpty();
    }

    @Test
    void aVersionThatWouldLoseACaptureIsRefusedWithTheReason() throws Exception {
        // review R22 (and R1): records gone from a topic must not silently shrink the dataset
        List<DatasetAssembler.LabelledFrame> frames = captures(4);
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty()).orElseThrow().manifest();
        List<DatasetAssembler.LabelledFrame> fewer = frames.stream()
                .filter(f -> !f.frame().getCaptureId().equals("cap2")).toList();
        assertThatThrownBy(() -> assembler().assemble(fewer, blobs::get, Optional.of(first)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without 1 of the 4 captures that lab 1.0.0 holds (cap2)");
    }
}
