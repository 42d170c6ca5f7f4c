package tipstream.augment;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.DatasetVersion;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameResize;
import tipstream.dataset.InvalidFrameException;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Sha256;
import tipstream.dataset.Shard;
import tipstream.v1.CaptureShards;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.FrameRef;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;
import tipstream.v1.TipLabel;

/**
 * Builds a dataset version from labelled frames: each capture goes to train or eval by the split
 * rule; eval frames become one sample, train frames one plus one per planned augmentation (seeded
 * from the frame's content hash, so a rebuild gives the same bytes); samples are scaled to the
 * input size and packed, capture by capture in sorted order, into shards of at most
 * {@code shardSize} samples of one capture, named by their content ({@link Shard#key}) and stored
 * as each capture is done, so memory holds one capture's samples whatever the dataset's size
 * (review R7). A capture whose frames, labels and sample representation are those the previous
 * version built its shards from (their source fingerprint) is not rebuilt: the new manifest lists
 * the same shards, so a new capture or a revised label costs work and storage for that capture
 * only. The version follows the previous manifest: 1.0.0 first, MINOR when captures were added,
 * PATCH when only labels changed, and no new version when nothing did.
 */
public final class DatasetAssembler {
    /** A frame and the label it is built with (its latest revision). */
    public record LabelledFrame(FrameRef frame, TipLabel label) {
    }

    /**
     * A new version: its manifest, how many of its shards were built (the rest are earlier
     * versions' shards listed again), and the frames left out because their stored PNG cannot be
     * used (the caller dead-letters them).
     */
    public record Build(DatasetManifest manifest, int shardsBuilt, List<Rejected> rejected) {
    }

    /** A frame left out of a version, and why. */
    public record Rejected(LabelledFrame frame, String reason) {
    }

    /** One frame's samples, or why it has none. */
    private record Outcome(List<DatasetSample> samples, Rejected rejected) {
    }

    private final String dataset;
    private final CaptureSplit split;
    private final List<Augmentation> trainAugmentations;
    private final FrameFormat frame;
    private final int inputWidth;
    private final int inputHeight;
    private final int shardSize;
    private final String codeVersion;
    private final FrameAugmenter augmenter = new FrameAugmenter();
    private final PngFrameCodec codec;

    /**
     * Versions of {@code dataset} from frames of the {@code frame} format (the lab's cameras, as
     * ingest takes them; recorded in each manifest, so the trainer and eval read labels in it),
     * stored as samples of the network's input size.
     */
    public DatasetAssembler(String dataset, CaptureSplit split, List<Augmentation> trainAugmentations, FrameFormat frame,
            int inputWidth, int inputHeight, int shardSize, String codeVersion) {
        this.dataset = dataset;
        this.split = split;
        this.trainAugmentations = List.copyOf(trainAugmentations);
        this.frame = frame;
        this.codec = new PngFrameCodec(frame, 16 << 20);
        this.inputWidth = inputWidth;
        this.inputHeight = inputHeight;
        this.shardSize = shardSize;
        this.codeVersion = codeVersion;
    }

    /** The frames this dataset is built from: their size, and where a label's tip can lie. */
    public FrameFormat frameFormat() {
        return frame;
    }

    /** One capture built: its shards (see {@link #build}), how many were stored, and its frames left out. */
    public record CaptureBuild(CaptureShards shards, int shardsBuilt, List<Rejected> rejected) {
    }

    /**
     * The next version, or empty when {@code frames} hold nothing new against {@code previous}: every
     * capture whose source changed is built ({@link #build}), the others listed as {@code previous}
     * lists them ({@link #compose}). What one augment does; replicas share the builds.
     *
     * A frame whose stored PNG cannot be decoded is left out and reported in {@link Build#rejected()}:
     * one bad blob must not stop every version (review R5).
     *
     * @param blobs fetches a frame's PNG by its blob key
     * @param store stores a new shard (key, bytes) as soon as it is built; it may exist already
     *     (same key, same bytes)
     */
    public Optional<Build> assemble(List<LabelledFrame> frames, Function<String, byte[]> blobs,
            Optional<DatasetManifest> previous, BiConsumer<String, byte[]> store) {
        Map<String, CaptureShards> before = previous.map(DatasetAssembler::shardsByCapture).orElse(Map.of());
        List<CaptureShards> captures = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        int built = 0;
        for (Map.Entry<String, List<LabelledFrame>> capture : byCapture(frames).entrySet()) {
            CaptureShards same = before.get(capture.getKey());
            if (same != null && same.getSourceFingerprint().equals(source(capture.getValue()))) {
                captures.add(same);
                continue;
            }
            CaptureBuild build = build(capture.getValue(), blobs, store);
            captures.add(build.shards());
            rejected.addAll(build.rejected());
            built += build.shardsBuilt();
        }
        int shardsBuilt = built;
        return compose(captures, previous).map(manifest -> new Build(manifest, shardsBuilt, List.copyOf(rejected)));
    }

    /** Labelled frames by capture, captures and each capture's frames in name order (the order samples are packed in). */
    public static TreeMap<String, List<LabelledFrame>> byCapture(List<LabelledFrame> frames) {
        TreeMap<String, List<LabelledFrame>> byCapture = new TreeMap<>();
        frames.forEach(f -> byCapture.computeIfAbsent(f.frame().getCaptureId(), c -> new ArrayList<>()).add(f));
        byCapture.values().forEach(list -> list.sort(Comparator.comparing(f -> f.frame().getFrameName())));
        return byCapture;
    }

    /**
     * The fingerprint of what a capture's samples are built from (its frames in name order, their
     * contents and labels, and the sample representation): what names its {@link CaptureShards}.
     */
    public String source(List<LabelledFrame> capture) {
        return Sha256.hex((representation() + sourceText(capture)).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Builds one capture's samples (its frames in name order, as {@link #byCapture} gives them) and
     * packs them into shards of at most {@code shardSize} samples, each stored as soon as it is built.
     */
    public CaptureBuild build(List<LabelledFrame> capture, Function<String, byte[]> blobs,
            BiConsumer<String, byte[]> store) {
        String captureId = capture.get(0).frame().getCaptureId();
        String source = source(capture);
        String which = split.splitOf(captureId);
        List<Rejected> rejected = new ArrayList<>();
        List<DatasetSample> samples = samplesOf(capture, which.equals(CaptureSplit.TRAIN), blobs, rejected);
        CaptureShards.Builder shards = CaptureShards.newBuilder().setCaptureId(captureId).setSourceFingerprint(source);
        for (int start = 0; start < samples.size(); start += shardSize) {
            List<DatasetSample> chunk = samples.subList(start, Math.min(samples.size(), start + shardSize));
            byte[] bytes = Shard.write(chunk);
            String key = ObjectKeys.shard(dataset, bytes);
            store.accept(key, bytes);
            shards.addShards(Shard.entry(key, which, chunk.size(), bytes).toBuilder()
                    .setCaptureId(captureId).setSourceFingerprint(source));
        }
        return new CaptureBuild(shards.build(), shards.getShardsCount(), List.copyOf(rejected));
    }

    /**
     * The version that lists these captures' shards, or empty when {@code previous} lists the same
     * shards. The version follows the previous manifest: 1.0.0 first, MAJOR when the sample
     * representation changed, MINOR when captures were added, PATCH when only labels changed.
     * Every capture {@code previous} holds must be among them (a version never loses one).
     */
    public Optional<DatasetManifest> compose(List<CaptureShards> captures, Optional<DatasetManifest> previous) {
        List<CaptureShards> sorted = captures.stream().sorted(Comparator.comparing(CaptureShards::getCaptureId)).toList();
        List<ShardEntry> shards = sorted.stream().flatMap(c -> c.getShardsList().stream()).toList();
        List<String> captureIds = sorted.stream().map(CaptureShards::getCaptureId).toList();
        DatasetVersion version;
        if (previous.isEmpty()) {
            version = new DatasetVersion(1, 0, 0);
        } else if (previous.get().getShardsList().equals(shards) && previous.get().getCapturesList().equals(captureIds)
                && !representationChanged(previous.get())) {
            return Optional.empty();
        } else {
            refuseDroppedCaptures(previous.get(), Set.copyOf(captureIds));
            DatasetVersion before = DatasetVersion.parse(previous.get().getVersion());
            version = representationChanged(previous.get()) ? before.representationChanged()
                    : !previous.get().getCapturesList().containsAll(captureIds) ? before.capturesAdded()
                    : before.labelsCorrected();
        }
        String fingerprint = Sha256.hex(sorted.stream().map(CaptureShards::getSourceFingerprint)
                .collect(Collectors.joining("\n", representation(), "")).getBytes(StandardCharsets.UTF_8));
        return Optional.of(DatasetManifest.newBuilder().setDataset(dataset).setVersion(version.toString())
                .setInputWidth(inputWidth).setInputHeight(inputHeight)
                .setFrameWidth(frame.width()).setFrameHeight(frame.height())
                .setSplitRule(split.describe()).setAugmentationConfig(augmentationConfig()).setCodeVersion(codeVersion)
                .addAllCaptures(captureIds).setContentFingerprint(fingerprint).addAllShards(shards)
                .setCreatedAtMs(System.currentTimeMillis()).build());
    }

    /**
     * One capture's samples in frame order; its frames are fetched and augmented in parallel (each
     * seeded by its own sha256), so the result does not depend on the threads.
     */
    private List<DatasetSample> samplesOf(List<LabelledFrame> frames, boolean train, Function<String, byte[]> blobs,
            List<Rejected> rejected) {
        List<Outcome> outcomes = frames.parallelStream().map(f -> {
            try {
                return new Outcome(samples(f, blobs.apply(f.frame().getBlobKey()), train), null);
            } catch (InvalidFrameException e) {
                return new Outcome(List.of(), new Rejected(f, "stored frame " + f.frame().getBlobKey()
                        + " cannot be used: " + e.getMessage()));
            }
        }).toList();
        List<DatasetSample> samples = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            samples.addAll(outcome.samples());
            if (outcome.rejected() != null) {
                rejected.add(outcome.rejected());
            }
        }
        return samples;
    }

    /**
     * The shards a version lists for each capture, as {@link CaptureShards} (none from versions
     * before shards were per capture, which are then built again).
     */
    public static Map<String, CaptureShards> shardsByCapture(DatasetManifest version) {
        Map<String, CaptureShards.Builder> byCapture = new HashMap<>();
        for (ShardEntry entry : version.getShardsList()) {
            if (!entry.getCaptureId().isEmpty()) {
                byCapture.computeIfAbsent(entry.getCaptureId(), c -> CaptureShards.newBuilder().setCaptureId(c)
                        .setSourceFingerprint(entry.getSourceFingerprint())).addShards(entry);
            }
        }
        Map<String, CaptureShards> built = new HashMap<>();
        byCapture.forEach((capture, shards) -> built.put(capture, shards.build()));
        return built;
    }

    private List<DatasetSample> samples(LabelledFrame f, byte[] png, boolean train) throws InvalidFrameException {
        PngFrameCodec.CheckedFrame checked = codec.check(png);
        var frame = checked.image();
        TipLabel label = f.label();
        List<DatasetSample> samples = new ArrayList<>();
        samples.add(sample(f, "", new AugmentedFrame(frame, label.getVisible(), label.getTip().getX(),
                label.getTip().getY()), checked.png()));
        if (train) {
            Random random = new Random(Long.parseUnsignedLong(f.frame().getSha256().substring(0, 15), 16));
            for (Augmentation augmentation : trainAugmentations) {
                samples.add(sample(f, augmentation.name(), augmenter.apply(augmentation, frame, label.getVisible(),
                        label.getTip().getX(), label.getTip().getY(), random), null));
            }
        }
        return samples;
    }

    /**
     * A sample of the frame as {@code frame} has it, its image resized to the input size and PNG-encoded; an
     * image already at that size keeps {@code storedPng}, the checked frame's own bytes, when given: encoding
     * is most of a build's work, and the same pixels need not be encoded again (a full build of 480 frames
     * without baked augmentations 2.70 s before, 0.53 s after; BENCHMARKS.md, "Augment").
     */
    private DatasetSample sample(LabelledFrame f, String augmentation, AugmentedFrame frame, byte[] storedPng) {
        BufferedImage input = FrameResize.to(frame.image(), inputWidth, inputHeight);
        byte[] png = storedPng != null && input == frame.image() ? storedPng : PngFrameCodec.encode(input);
        DatasetSample.Builder sample = DatasetSample.newBuilder()
                .setCaptureId(f.frame().getCaptureId())
                .setFrameName(f.frame().getFrameName())
                .setAugmentation(augmentation)
                .setPng(ByteString.copyFrom(png))
                .setVisible(frame.visible())
                .setLabelRevision(f.label().getRevision());
        if (frame.visible()) {
            sample.setTip(Point.newBuilder().setX(frame.tipX()).setY(frame.tipY()));
        }
        return sample.build();
    }

    /**
     * Whether samples of this build mean something else than {@code previous}'s (review R22): another
     * frame or input size, other baked augmentations, or another split rule (captures trained on
     * could move into eval). Such a version is a new MAJOR one, which a running trainer does not
     * switch to.
     */
    private boolean representationChanged(DatasetManifest previous) {
        return previous.getInputWidth() != inputWidth || previous.getInputHeight() != inputHeight
                || previous.getFrameWidth() != frame.width() || previous.getFrameHeight() != frame.height()
                || !previous.getAugmentationConfig().equals(augmentationConfig())
                || !previous.getSplitRule().equals(split.describe());
    }

    /**
     * A version never silently loses a capture an earlier one holds (review R22; R1: records gone
     * from a topic): nothing deletes captures, so their absence means lost input.
     */
    private static void refuseDroppedCaptures(DatasetManifest previous, Set<String> captures) {
        List<String> dropped = previous.getCapturesList().stream().filter(c -> !captures.contains(c)).toList();
        if (!dropped.isEmpty()) {
            throw new IllegalStateException("refusing a version without " + dropped.size() + " of the "
                    + previous.getCapturesCount() + " captures that " + previous.getDataset() + " "
                    + previous.getVersion() + " holds (" + String.join(", ", dropped.subList(0, Math.min(5,
                    dropped.size()))) + (dropped.size() > 5 ? ", ..." : "") + "): their frames or labels are no"
                    + " longer readable");
        }
    }

    private String augmentationConfig() {
        return "train: original + " + trainAugmentations + " (FrameAugmenter, seeded by frame sha256); validation, eval:"
                + " original";
    }

    /** What every sample's bytes depend on besides its frame and label. */
    private String representation() {
        return frame.width() + "x" + frame.height() + "->" + inputWidth + "x" + inputHeight + ";" + augmentationConfig()
                + ";" + split.describe() + "\n";
    }

    /** What a capture's samples are built from: its frames' names and contents and their labels, in order. */
    private static String sourceText(List<LabelledFrame> frames) {
        StringBuilder text = new StringBuilder();
        for (LabelledFrame f : frames) {
            TipLabel l = f.label();
            text.append(f.frame().getCaptureId()).append('/').append(f.frame().getFrameName()).append('/')
                    .append(f.frame().getSha256()).append('/').append(l.getVisible()).append('/')
                    .append(l.getTip().getX()).append('/').append(l.getTip().getY()).append('\n');
        }
        return text.toString();
    }
}
