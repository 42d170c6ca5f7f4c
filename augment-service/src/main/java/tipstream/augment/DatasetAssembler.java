package tipstream.augment;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.DatasetVersion;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameResize;
import tipstream.dataset.InvalidFrameException;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Sha256;
import tipstream.dataset.Shard;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.FrameRef;
import tipstream.v1.Point;
import tipstream.v1.TipLabel;

/**
 * Builds a dataset version from labelled frames: each capture goes to train or eval by the split
 * rule; eval frames become one sample, train frames one plus one per planned augmentation (seeded
 * from the frame's content hash, so a rebuild gives the same bytes); samples are scaled to the
 * input size and packed in sorted order into shards of at most {@code shardSize}. The version
 * follows the previous manifest: 1.0.0 first, MINOR when captures were added, PATCH when only
 * labels changed, and no new version when nothing did.
 */
public final class DatasetAssembler {
    /** A frame and the label it is built with (its latest revision). */
    public record LabelledFrame(FrameRef frame, TipLabel label) {
    }

    /**
     * A new version: its manifest, the shard bytes to write under the manifest's keys, and the
     * frames left out because their stored PNG cannot be used (the caller dead-letters them).
     */
    public record Build(DatasetManifest manifest, Map<String, byte[]> shards, List<Rejected> rejected) {
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

    /**
     * The next version, or empty when {@code frames} hold nothing new against {@code previous}.
     *
     * A frame whose stored PNG cannot be decoded is left out and reported in {@link Build#rejected()}:
     * one bad blob must not stop every version (review R5).
     *
     * @param blobs fetches a frame's PNG by its blob key
     */
    public Optional<Build> assemble(List<LabelledFrame> frames, Function<String, byte[]> blobs,
            Optional<DatasetManifest> previous) {
        List<LabelledFrame> sorted = new ArrayList<>(frames);
        sorted.sort(Comparator.comparing((LabelledFrame f) -> f.frame().getCaptureId())
                .thenComparing(f -> f.frame().getFrameName()));
        TreeSet<String> captures = new TreeSet<>();
        sorted.forEach(f -> captures.add(f.frame().getCaptureId()));
        String fingerprint = fingerprint(sorted);
        DatasetVersion version;
        if (previous.isEmpty()) {
            version = new DatasetVersion(1, 0, 0);
        } else if (previous.get().getContentFingerprint().equals(fingerprint)) {
            return Optional.empty();
        } else {
            refuseDroppedCaptures(previous.get(), captures);
            DatasetVersion before = DatasetVersion.parse(previous.get().getVersion());
            version = representationChanged(previous.get()) ? before.representationChanged()
                    : !previous.get().getCapturesList().containsAll(captures) ? before.capturesAdded()
                    : before.labelsCorrected();
        }
        Map<String, List<DatasetSample>> bySplit = new LinkedHashMap<>();
        bySplit.put(CaptureSplit.TRAIN, new ArrayList<>());
        bySplit.put(CaptureSplit.VALIDATION, new ArrayList<>());
        bySplit.put(CaptureSplit.EVAL, new ArrayList<>());
        // frames are fetched and augmented in parallel (each seeded by its own sha256), then
        // gathered in their sorted order, so the result does not depend on the threads
        List<Rejected> rejected = new ArrayList<>();
        List<Outcome> outcomes = sorted.parallelStream().map(f -> {
            try {
                return new Outcome(samples(f, blobs.apply(f.frame().getBlobKey()),
                        split.splitOf(f.frame().getCaptureId()).equals(CaptureSplit.TRAIN)), null);
            } catch (InvalidFrameException e) {
                return new Outcome(List.of(), new Rejected(f, "stored frame " + f.frame().getBlobKey()
                        + " cannot be used: " + e.getMessage()));
            }
        }).toList();
        for (int i = 0; i < sorted.size(); i++) {
            bySplit.get(split.splitOf(sorted.get(i).frame().getCaptureId())).addAll(outcomes.get(i).samples());
            if (outcomes.get(i).rejected() != null) {
                rejected.add(outcomes.get(i).rejected());
            }
        }
        DatasetManifest.Builder manifest = DatasetManifest.newBuilder().setDataset(dataset).setVersion(version.toString())
                .setInputWidth(inputWidth).setInputHeight(inputHeight)
                .setFrameWidth(frame.width()).setFrameHeight(frame.height())
                .setSplitRule(split.describe()).setAugmentationConfig(augmentationConfig()).setCodeVersion(codeVersion)
                .addAllCaptures(captures).setContentFingerprint(fingerprint)
                .setCreatedAtMs(System.currentTimeMillis());
        Map<String, byte[]> shards = new LinkedHashMap<>();
        bySplit.forEach((which, samples) -> {
            for (int start = 0, n = 0; start < samples.size(); start += shardSize, n++) {
                List<DatasetSample> chunk = samples.subList(start, Math.min(samples.size(), start + shardSize));
                byte[] bytes = Shard.write(chunk);
                String key = String.format("datasets/%s/%s/%s/shard-%05d.tshard", dataset, version, which, n);
                shards.put(key, bytes);
                manifest.addShards(Shard.entry(key, which, chunk.size(), bytes));
            }
        });
        return Optional.of(new Build(manifest.build(), shards, List.copyOf(rejected)));
    }

    private List<DatasetSample> samples(LabelledFrame f, byte[] png, boolean train) throws InvalidFrameException {
        var frame = codec.check(png).image();
        TipLabel label = f.label();
        List<DatasetSample> samples = new ArrayList<>();
        samples.add(sample(f, "", new AugmentedFrame(frame, label.getVisible(), label.getTip().getX(),
                label.getTip().getY())));
        if (train) {
            Random random = new Random(Long.parseUnsignedLong(f.frame().getSha256().substring(0, 15), 16));
            for (Augmentation augmentation : trainAugmentations) {
                samples.add(sample(f, augmentation.name(), augmenter.apply(augmentation, frame, label.getVisible(),
                        label.getTip().getX(), label.getTip().getY(), random)));
            }
        }
        return samples;
    }

    private DatasetSample sample(LabelledFrame f, String augmentation, AugmentedFrame frame) {
        DatasetSample.Builder sample = DatasetSample.newBuilder()
                .setCaptureId(f.frame().getCaptureId())
                .setFrameName(f.frame().getFrameName())
                .setAugmentation(augmentation)
                .setPng(ByteString.copyFrom(PngFrameCodec.encode(FrameResize.to(frame.image(), inputWidth, inputHeight))))
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

    private String fingerprint(List<LabelledFrame> sorted) {
        StringBuilder text = new StringBuilder(frame.width() + "x" + frame.height() + "->" + inputWidth + "x"
                + inputHeight + ";" + augmentationConfig() + ";"
                + split.describe() + "\n");
        for (LabelledFrame f : sorted) {
            TipLabel l = f.label();
            text.append(f.frame().getCaptureId()).append('/').append(f.frame().getFrameName()).append('/')
                    .append(f.frame().getSha256()).append('/').append(l.getVisible()).append('/')
                    .append(l.getTip().getX()).append('/').append(l.getTip().getY()).append('\n');
        }
        return Sha256.hex(text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
