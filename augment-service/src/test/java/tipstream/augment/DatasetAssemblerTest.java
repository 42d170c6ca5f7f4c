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
    /** The shards the assembler stored, by key. */
    private final Map<String, byte[]> stored = new HashMap<>();

    private DatasetAssembler assembler() {
        return new DatasetAssembler("lab", SPLIT, PLAN, FrameFormat.LAB_CAMERA, 264, 203, 7, "test-version");
    }

    private DatasetAssembler.LabelledFrame frame(String capture, int index, boolean visible, double x, double y) {
        return frame(capture, index, visible, x, y, FrameFormat.LAB_CAMERA);
    }

    private DatasetAssembler.LabelledFrame frame(String capture, int index, boolean visible, double x, double y,
            FrameFormat format) {
        return frame(capture, index, visible, x, y, format, PngFrameCodec::encode);
    }

    private DatasetAssembler.LabelledFrame frame(String capture, int index, boolean visible, double x, double y,
            FrameFormat format, java.util.function.Function<BufferedImage, byte[]> encoder) {
        BufferedImage image = new BufferedImage(format.width(), format.height(), BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random((capture + index).hashCode());
        random.nextBytes(((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData());
        byte[] png = encoder.apply(image);
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
        DatasetAssembler.Build build = assembler().assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow();
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
            byte[] bytes = stored.get(entry.getKey());
            assertThat(Sha256.hex(bytes)).isEqualTo(entry.getSha256());
            assertThat(entry.getKey()).isEqualTo("datasets/lab/shards/" + entry.getSha256() + ".tshard");
            assertThat(entry.getSampleCount()).isBetween(1, 7);
            List<DatasetSample> samples = Shard.read(bytes);
            assertThat(samples).hasSize(entry.getSampleCount());
            // a shard holds one capture's samples, in that capture's split
            assertThat(samples).allSatisfy(sample -> assertThat(sample.getCaptureId()).isEqualTo(entry.getCaptureId()));
            assertThat(SPLIT.splitOf(entry.getCaptureId())).isEqualTo(entry.getSplit());
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
    void atTheFramesOwnSizeAnOriginalSampleKeepsTheStoredPngAndAnAugmentedOneIsEncoded() throws Exception {
        // encoding is most of a build's work: the same pixels are not encoded again. The frames as a camera
        // wrote them (no compression), which the assembler's own encoder would not write byte for byte
        List<DatasetAssembler.LabelledFrame> frames = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            for (int i = 0; i < 2; i++) {
                frames.add(frame("raw" + c, i, true, 100 + c, 150 + i, FrameFormat.LAB_CAMERA,
                        DatasetAssemblerTest::uncompressedPng));
            }
        }
        DatasetAssembler fullSize = new DatasetAssembler("lab", SPLIT, PLAN, FrameFormat.LAB_CAMERA, 528, 406, 7, "v");
        DatasetManifest manifest = fullSize.assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow()
                .manifest();
        Map<String, byte[]> storedByName = new HashMap<>();
        frames.forEach(f -> storedByName.put(f.frame().getFrameName(), blobs.get(f.frame().getBlobKey())));
        List<DatasetSample> samples = new ArrayList<>();
        for (ShardEntry entry : manifest.getShardsList()) {
            samples.addAll(Shard.read(stored.get(entry.getKey())));
        }
        assertThat(samples.stream().filter(s -> s.getAugmentation().isEmpty())).hasSize(frames.size())
                .allSatisfy(s -> assertThat(s.getPng().toByteArray()).isEqualTo(storedByName.get(s.getFrameName())));
        DatasetSample flipped = samples.stream().filter(s -> s.getAugmentation().equals("FLIP")).findFirst().orElseThrow();
        BufferedImage original = PngFrameCodec.decodeStored(storedByName.get(flipped.getFrameName()));
        BufferedImage mirrored = PngFrameCodec.decodeStored(flipped.getPng().toByteArray());
        assertThat(mirrored.getRaster().getSample(0, 7, 0)).isEqualTo(original.getRaster().getSample(527, 7, 0));
        assertThat(mirrored.getRaster().getSample(527, 300, 0)).isEqualTo(original.getRaster().getSample(0, 300, 0));
    }

    @Test
    void rebuildIsByteIdenticalAndUnchangedInputMakesNoNewVersion() throws Exception {
        List<DatasetAssembler.LabelledFrame> frames = captures(4);
        DatasetAssembler.Build a = assembler().assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow();
        Map<String, byte[]> again = new HashMap<>();
        DatasetAssembler.Build b = assembler().assemble(frames, blobs::get, Optional.empty(), again::put).orElseThrow();
        // keys name the bytes (sha256), so equal entries are byte-identical shards
        assertThat(b.manifest().getShardsList()).isEqualTo(a.manifest().getShardsList());
        assertThat(again.keySet()).isEqualTo(stored.keySet());
        stored.forEach((key, bytes) -> assertThat(again.get(key)).isEqualTo(bytes));
        assertThat(assembler().assemble(frames, blobs::get, Optional.of(a.manifest()), stored::put)).isEmpty();
    }

    @Test
    void correctedLabelIsAPatchAndANewCaptureIsAMinorVersion() throws Exception {
        List<DatasetAssembler.LabelledFrame> frames = captures(3);
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow().manifest();

        List<DatasetAssembler.LabelledFrame> corrected = new ArrayList<>(frames);
        DatasetAssembler.LabelledFrame old = corrected.get(0);
        corrected.set(0, new DatasetAssembler.LabelledFrame(old.frame(), old.label().toBuilder().setRevision(2)
                .setTip(Point.newBuilder().setX(300).setY(200)).build()));
        DatasetManifest patched = assembler().assemble(corrected, blobs::get, Optional.of(first), stored::put).orElseThrow().manifest();
        assertThat(patched.getVersion()).isEqualTo("1.0.1");

        List<DatasetAssembler.LabelledFrame> grown = new ArrayList<>(corrected);
        grown.add(frame("cap-new", 0, true, 10, 10));
        assertThat(assembler().assemble(grown, blobs::get, Optional.of(patched), stored::put).orElseThrow().manifest().getVersion())
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
        DatasetAssembler.Build build = assembler.assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow();
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
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow().manifest();
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
            assertThat(other.assemble(frames, blobs::get, Optional.of(first), stored::put).orElseThrow().manifest().getVersion())
                    .isEqualTo("2.0.0");
        }
        // the same assembler with the same frames: nothing new; a new capture: still a minor version
        assertThat(assembler().assemble(frames, blobs::get, Optional.of(first), stored::put)).isEmpty();
    }

    @Test
    void aVersionThatWouldLoseACaptureIsRefusedWithTheReason() throws Exception {
        // review R22 (and R1): records gone from a topic must not silently shrink the dataset
        List<DatasetAssembler.LabelledFrame> frames = captures(4);
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow().manifest();
        List<DatasetAssembler.LabelledFrame> fewer = frames.stream()
                .filter(f -> !f.frame().getCaptureId().equals("cap2")).toList();
        assertThatThrownBy(() -> assembler().assemble(fewer, blobs::get, Optional.of(first), stored::put))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without 1 of the 4 captures that lab 1.0.0 holds (cap2)");
    }

    @Test
    void aNewCaptureOrARevisedLabelRebuildsOnlyItsCapture() throws Exception {
        // review R7: the work and storage for a change are proportional to the change
        List<DatasetAssembler.LabelledFrame> frames = captures(20);
        DatasetManifest first = assembler().assemble(frames, blobs::get, Optional.empty(), stored::put).orElseThrow()
                .manifest();
        List<DatasetAssembler.LabelledFrame> grown = new ArrayList<>(frames);
        grown.add(frame("cap-new", 0, true, 10, 10));
        grown.add(frame("cap-new", 1, false, 0, 0));
        List<String> fetched = new ArrayList<>();
        java.util.function.Function<String, byte[]> recorded = key -> {
            fetched.add(key);
            return blobs.get(key);
        };
        Map<String, byte[]> put = new HashMap<>();
        DatasetAssembler.Build next = assembler().assemble(grown, recorded, Optional.of(first), put::put).orElseThrow();
        assertThat(next.manifest().getVersion()).isEqualTo("1.1.0");
        List<String> newFrames = grown.subList(frames.size(), grown.size()).stream().map(f -> f.frame().getBlobKey())
                .toList();
        assertThat(fetched).containsExactlyInAnyOrderElementsOf(newFrames);
        List<ShardEntry> added = next.manifest().getShardsList().stream()
                .filter(e -> e.getCaptureId().equals("cap-new")).toList();
        assertThat(added).isNotEmpty();
        assertThat(put.keySet()).containsExactlyInAnyOrderElementsOf(added.stream().map(ShardEntry::getKey).toList());
        assertThat(next.shardsBuilt()).isEqualTo(added.size());
        // every earlier shard is listed again, unchanged
        assertThat(next.manifest().getShardsList()).containsAll(first.getShardsList());
        assertThat(next.manifest().getShardsCount()).isEqualTo(first.getShardsCount() + added.size());

        // a revised label rebuilds its capture's shards, and only those
        List<DatasetAssembler.LabelledFrame> corrected = new ArrayList<>(grown);
        DatasetAssembler.LabelledFrame old = corrected.get(4); // cap1, frame 1
        corrected.set(4, new DatasetAssembler.LabelledFrame(old.frame(), old.label().toBuilder().setRevision(2)
                .setTip(Point.newBuilder().setX(300).setY(200)).build()));
        fetched.clear();
        put.clear();
        DatasetAssembler.Build patched = assembler().assemble(corrected, recorded, Optional.of(next.manifest()), put::put)
                .orElseThrow();
        assertThat(patched.manifest().getVersion()).isEqualTo("1.1.1");
        assertThat(fetched).containsExactlyInAnyOrderElementsOf(frames.subList(3, 6).stream()
                .map(f -> f.frame().getBlobKey()).toList());
        List<ShardEntry> cap1 = patched.manifest().getShardsList().stream().filter(e -> e.getCaptureId().equals("cap1"))
                .toList();
        assertThat(put.keySet()).containsExactlyInAnyOrderElementsOf(cap1.stream().map(ShardEntry::getKey).toList());
        List<DatasetSample> samples = new ArrayList<>();
        for (ShardEntry entry : cap1) {
            samples.addAll(Shard.read(put.get(entry.getKey())));
        }
        assertThat(samples).filteredOn(s -> s.getFrameName().equals(old.frame().getFrameName())
                && s.getAugmentation().isEmpty()).singleElement()
                .satisfies(s -> assertThat(s.getTip().getX()).isEqualTo(300.0));
        assertThat(patched.manifest().getShardsList().stream().filter(e -> !e.getCaptureId().equals("cap1")).toList())
                .isEqualTo(next.manifest().getShardsList().stream().filter(e -> !e.getCaptureId().equals("cap1"))
                        .toList());
    }

    @Test
    void eachCapturesShardsAreStoredBeforeTheNextCapturesFramesAreRead() throws Exception {
        // review R7: memory holds one capture's samples, never the dataset's
        List<DatasetAssembler.LabelledFrame> frames = captures(5);
        List<String> events = new ArrayList<>();
        DatasetManifest manifest = assembler().assemble(frames, key -> {
            events.add("read " + frames.stream().filter(f -> f.frame().getBlobKey().equals(key)).findFirst()
                    .orElseThrow().frame().getCaptureId());
            return blobs.get(key);
        }, Optional.empty(), (key, bytes) -> events.add("store " + key)).orElseThrow().manifest();
        List<String> order = new ArrayList<>();
        for (String event : events) {
            for (ShardEntry entry : manifest.getShardsList()) {
                event = event.replace(entry.getKey(), entry.getCaptureId());
            }
            if (order.isEmpty() || !order.get(order.size() - 1).equals(event)) {
                order.add(event);
            }
        }
        assertThat(order).containsExactly("read cap0", "store cap0", "read cap1", "store cap1", "read cap2",
                "store cap2", "read cap3", "store cap3", "read cap4", "store cap4");
    }

    private static byte[] uncompressedPng(BufferedImage image) {
        var writer = javax.imageio.ImageIO.getImageWritersByFormatName("png").next();
        var param = writer.getDefaultWriteParam();
        param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f); // deflate level 0
        var out = new java.io.ByteArrayOutputStream();
        try (var stream = javax.imageio.ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new javax.imageio.IIOImage(image, null, null), param);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        byte[] png = out.toByteArray();
        assertThat(png).isNotEqualTo(PngFrameCodec.encode(image));
        return png;
    }
}
