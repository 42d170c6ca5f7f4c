package tipstream.augment;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.DeadLetters;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.TopicSnapshot;
import tipstream.dataset.Topics;
import tipstream.dataset.WriterFence;
import tipstream.v1.DatasetManifest;
import tipstream.v1.FrameRef;
import tipstream.v1.ShardEntry;
import tipstream.v1.ShardReady;
import tipstream.v1.TipLabel;

/**
 * One pass of augment: reads {@code tipstream.frames} and {@code tipstream.labels} from where its
 * last pass ended (the first pass of a worker: from the beginning) up to their current ends into
 * what it knows of every frame and label, adds from ingest's {@link FrameIndex} what the topics
 * lost before it read them, joins every frame with its latest label (labels may come before or after their frame, and
 * be revised), and when the result differs from the latest dataset version builds the next one
 * with {@link DatasetAssembler} (shards of the captures that changed, stored as built; the others
 * listed again): a ShardReady per shard the version adds and the manifest in one transaction ({@link WriterFence}:
 * one augment per dataset), then the {@code latest} pointer.
 * Everything it writes has a deterministic name, so a pass repeated after a crash changes nothing.
 * Records that cannot be used go to their topic's dead-letter topic once, with the reason.
 */
public final class AugmentWorker implements AutoCloseable {
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Logger LOG = Logger.getLogger(AugmentWorker.class);
    private final BlobStore blobs;
    private final FrameIndex index;
    private final String bootstrapServers;
    private final Producer<String, byte[]> producer;
    private final WriterFence fence;
    private final DatasetAssembler assembler;
    private final String dataset;
    private volatile Map<TopicPartition, Long> completedUpTo = Map.of();
    /**
     * Frame blobs this worker has seen stored: content-addressed and never deleted, so they are
     * looked up once, not on every pass (review R7: a pass's requests follow what is new).
     */
    private final Set<String> storedFrames = new HashSet<>();
    private boolean claimed;
    /** Every usable frame and its record, and every frame's latest label, read so far (by capture/frame). */
    private final Map<String, FrameRef> frames = new TreeMap<>();
    private final Map<String, ConsumerRecord<String, byte[]>> frameRecords = new HashMap<>();
    private final Map<String, TipLabel> labels = new HashMap<>();
    /** Where each partition of both topics has been read up to (review R7: a pass reads what is new). */
    private Map<TopicPartition, Long> readUpTo = Map.of();
    /** Positions of records already dead-lettered, by this worker or an earlier one (read at the first pass). */
    private Set<String> alreadyDead;
    private long recordsRead;

    /**
     * {@code producer} sends dead letters; versions are announced through {@code fence}, on the
     * dataset's {@link WriterFence#augmentOf} id (review R6), which the worker claims at its first
     * pass (so that a service starts while Kafka is away) and closes.
     */
    public AugmentWorker(BlobStore blobs, String bootstrapServers, Producer<String, byte[]> producer,
            WriterFence fence, DatasetAssembler assembler, String dataset) {
        this.blobs = blobs;
        this.index = new FrameIndex(blobs);
        this.bootstrapServers = bootstrapServers;
        this.producer = producer;
        this.fence = fence;
        this.assembler = assembler;
        this.dataset = dataset;
    }

    /**
     * What a pass did: labelled frames seen, the new version (if any) with its shard count, how many
     * of those shards it built (the rest earlier versions built), its sample count, and records
     * dead-lettered.
     */
    public record Pass(int labelledFrames, Optional<String> version, int shards, int shardsBuilt, long samples,
            int deadLettered) {
    }

    /**
     * The summed end offsets of both topics that the last complete pass had read: once this
     * reaches the topics' own summed end offsets, the latest version holds every record sent.
     */
    public long recordsDone() {
        return completedUpTo.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Records this worker has read from both topics, over all its passes. */
    public long recordsRead() {
        return recordsRead;
    }

    public Pass runOnce() throws Exception {
        // nothing new on either topic since the last complete pass: nothing to rebuild
        Map<TopicPartition, Long> ends = TopicSnapshot.ends(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS),
                "augment");
        if (ends.equals(completedUpTo)) {
            return new Pass(0, Optional.empty(), 0, 0, 0, 0);
        }
        if (!claimed) {
            fence.claim(); // from here an older augment of this dataset cannot publish a version
            claimed = true;
        }
        Pass pass = pass();
        completedUpTo = ends; // records after these ends are read by the next pass
        return pass;
    }

    private Pass pass() throws Exception {
        if (alreadyDead == null) {
            alreadyDead = DeadLetters.positionsIn(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS), "augment-dlq");
        }
        TopicSnapshot.Read read = TopicSnapshot.readFrom(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS),
                "augment", readUpTo);
        if (read.skipped() && !readUpTo.isEmpty()) {
            // records went (retention) before this worker read them, perhaps a label's newer revision:
            // start again from all the topics and the index hold, as a new worker does
            frames.clear();
            frameRecords.clear();
            labels.clear();
            readUpTo = Map.of();
            read = TopicSnapshot.readFrom(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS), "augment", readUpTo);
        }
        int dead = 0;
        for (ConsumerRecord<String, byte[]> record : read.records()) {
            recordsRead++;
            String reason;
            try {
                if (record.topic().equals(Topics.FRAMES)) {
                    FrameRef ref = FrameRef.parseFrom(record.value());
                    reason = !SHA256_HEX.matcher(ref.getSha256()).matches() ? "sha256 is not 64 hex digits"
                            : !ref.getBlobKey().equals("frames/" + ref.getSha256() + ".png")
                                    ? "blob key " + ref.getBlobKey() + " is not frames/<sha256>.png"
                            : isStored(ref.getBlobKey()) ? null : "blob " + ref.getBlobKey() + " is missing";
                    if (reason == null) {
                        frames.put(ref.getCaptureId() + "/" + ref.getFrameName(), ref);
                        frameRecords.put(ref.getCaptureId() + "/" + ref.getFrameName(), record);
                    }
                } else {
                    TipLabel label = TipLabel.parseFrom(record.value());
                    reason = label.getFrameName().isEmpty() ? "label without frame name" : null;
                    if (reason == null) {
                        labels.merge(label.getCaptureId() + "/" + label.getFrameName(), label,
                                (a, b) -> b.getRevision() >= a.getRevision() ? b : a);
                    }
                }
            } catch (InvalidProtocolBufferException e) {
                reason = "undecodable record: " + e.getMessage();
            }
            if (reason != null && alreadyDead.add(DeadLetters.position(record))) {
                deadLetter(record, reason);
                dead++;
            }
        }
        if (read.skipped()) {
            fromIndex(frames, labels); // only keys the topics lack: what they hold is newer
        }
        // what was read is in the maps above (merging a record again changes nothing), so a pass
        // that fails from here on does not need it read again
        readUpTo = read.ends();
        List<DatasetAssembler.LabelledFrame> labelled = new ArrayList<>();
        frames.forEach((key, frame) -> {
            TipLabel label = labels.get(key);
            if (label != null) {
                labelled.add(new DatasetAssembler.LabelledFrame(frame, label));
            }
        });
        if (labelled.isEmpty()) {
            return new Pass(0, Optional.empty(), 0, 0, 0, dead);
        }
        Optional<DatasetManifest> previous = latestManifest();
        // shards are stored as they are built: named by content, they are never overwritten with
        // other bytes, so an augment fenced off meanwhile only leaves unlisted objects behind
        Optional<DatasetAssembler.Build> build = assembler.assemble(labelled, blobs::get, previous,
                (key, bytes) -> blobs.put(key, bytes, "application/octet-stream"));
        if (build.isEmpty()) {
            return new Pass(labelled.size(), Optional.empty(), 0, 0, 0, dead);
        }
        for (DatasetAssembler.Rejected rejected : build.get().rejected()) {
            FrameRef ref = rejected.frame().frame();
            ConsumerRecord<String, byte[]> record = frameRecords.get(ref.getCaptureId() + "/" + ref.getFrameName());
            if (record == null) {
                // known from the index only: its record is beyond the topic's retention
                LOG.warnf("frame %s/%s left out: %s", ref.getCaptureId(), ref.getFrameName(), rejected.reason());
            } else if (alreadyDead.add(DeadLetters.position(record))) {
                deadLetter(record, rejected.reason());
                dead++;
            }
        }
        DatasetManifest manifest = build.get().manifest();
        String manifestKey = ManifestCodec.key(dataset, manifest.getVersion());
        // the shards this version adds (a trainer reads the rest from the manifest each names); at
        // least one, so that every version is announced
        Set<String> listedBefore = new HashSet<>();
        previous.ifPresent(p -> p.getShardsList().forEach(entry -> listedBefore.add(entry.getKey())));
        List<ShardEntry> added = manifest.getShardsList().stream().filter(e -> !listedBefore.contains(e.getKey()))
                .toList();
        List<ProducerRecord<String, byte[]>> announcements = new ArrayList<>();
        for (ShardEntry shard : added.isEmpty() ? manifest.getShardsList().subList(0, 1) : added) {
            ShardReady ready = ShardReady.newBuilder().setDataset(dataset).setVersion(manifest.getVersion())
                    .setSplit(shard.getSplit()).setShardKey(shard.getKey()).setSampleCount(shard.getSampleCount())
                    .setSha256(shard.getSha256()).setManifestKey(manifestKey).build();
            announcements.add(new ProducerRecord<>(Topics.SHARDS, dataset, ready.toByteArray()));
        }
        // the manifest is stored inside the transaction that announces it: an augment another one
        // has fenced stops before it writes a version
        fence.publish("dataset " + dataset, announcements,
                () -> blobs.put(manifestKey, ManifestCodec.toJson(manifest), "application/json"));
        // last: a pass that fails before this builds and announces the same version again (the
        // trainer ignores versions it already has); moved first, the retry would see nothing to do
        blobs.put(latestKey(), manifest.getVersion().getBytes(StandardCharsets.UTF_8), "text/plain");
        return new Pass(labelled.size(), Optional.of(manifest.getVersion()), manifest.getShardsCount(),
                build.get().shardsBuilt(), manifest.getShardsList().stream().mapToLong(ShardEntry::getSampleCount).sum(),
                dead);
    }

    /**
     * Adds what the topics no longer hold (records beyond their retention) from ingest's index, the
     * record of every frame and label it published (review R1): frames whose stored blob is there,
     * and labels. Only keys the topics lack are read. Called only when a topic has lost records:
     * ingest writes the index after the record, so whole topics hold everything it has, and the
     * index's listing was most of a pass at the lab's scale (16 of 18 s at 15,000 frames,
     * StreamScaleBenchmark).
     */
    private void fromIndex(Map<String, FrameRef> frames, Map<String, TipLabel> labels) {
        for (String key : index.frameKeys()) {
            if (!frames.containsKey(key)) {
                index.frame(key).filter(ref -> isStored(ref.getBlobKey())).ifPresent(ref -> frames.put(key, ref));
            }
        }
        for (String key : index.labelKeys()) {
            if (!labels.containsKey(key)) {
                index.label(key).ifPresent(label -> labels.put(key, label));
            }
        }
    }

    private boolean isStored(String frameKey) {
        if (storedFrames.contains(frameKey)) {
            return true;
        }
        boolean stored = blobs.exists(frameKey);
        if (stored) {
            storedFrames.add(frameKey);
        }
        return stored;
    }

    private String latestKey() {
        return ManifestCodec.latestKey(dataset);
    }

    private Optional<DatasetManifest> latestManifest() throws InvalidProtocolBufferException {
        Optional<byte[]> latest = blobs.find(latestKey());
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        String version = new String(latest.get(), StandardCharsets.UTF_8).trim();
        return Optional.of(ManifestCodec.fromJson(blobs.get(ManifestCodec.key(dataset, version))));
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) throws Exception {
        producer.send(DeadLetters.of(record, reason, "augment-service")).get();
    }

    /** Closes the fence (the dead-letter producer is the caller's). */
    @Override
    public void close() {
        fence.close();
    }
}
