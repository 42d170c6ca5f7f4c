package tipstream.augment;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.DeadLetters;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.LatestVersion;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Shard;
import tipstream.dataset.TopicSnapshot;
import tipstream.dataset.Topics;
import tipstream.dataset.WriterFence;
import tipstream.v1.CaptureShards;
import tipstream.v1.DatasetManifest;
import tipstream.v1.FrameRef;
import tipstream.v1.ShardEntry;
import tipstream.v1.ShardReady;
import tipstream.v1.TipLabel;

/**
 * One pass of an augment replica: reads {@code tipstream.frames} and {@code tipstream.labels} from
 * where its last pass ended (the first pass of a worker: from the beginning) up to their current
 * ends into what it knows of every frame and label, adds from ingest's {@link FrameIndex} what the
 * topics lost before it read them, and joins every frame with its latest label (labels may come
 * before or after their frame, and be revised). The replicas of a dataset share the work on a
 * consumer group ({@link BuildShare}): each builds the captures of the partitions it holds whose
 * frames or labels changed ({@link DatasetAssembler#build}: shards stored as built, then the
 * capture's {@link CaptureShards} under {@link Shard#capturesKey}), and the one holding partition 0
 * publishes: when what the captures' shards add up to differs from the latest version it lists them
 * in the next one ({@link DatasetAssembler#compose}; a capture whose change another replica has not
 * built yet stays as the latest version has it), announces it with a ShardReady per shard the version
 * adds in one transaction with the manifest ({@link WriterFence}: one publisher per dataset), then
 * moves the {@code latest} pointer. Everything it writes has a deterministic name, so a pass
 * repeated after a crash changes nothing. Records that cannot be used go to their topic's
 * dead-letter topic once, with the reason, from the replica that holds their partition.
 */
public final class AugmentWorker implements AutoCloseable {
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Logger LOG = Logger.getLogger(AugmentWorker.class);
    /** How long a new replica waits for its share of the partitions before its first pass. */
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(15);
    private final BlobStore blobs;
    private final FrameIndex index;
    private final String bootstrapServers;
    private final Producer<String, byte[]> producer;
    private final Supplier<WriterFence> fences;
    private final DatasetAssembler assembler;
    private final String dataset;
    private final Duration sessionTimeout;
    private volatile Map<TopicPartition, Long> completedUpTo = Map.of();
    private volatile boolean publishing;
    /**
     * Frame blobs this worker has seen stored: content-addressed and never deleted, so they are
     * looked up once, not on every pass (review R7: a pass's requests follow what is new).
     */
    private final Set<String> storedFrames = new HashSet<>();
    /** The dataset's fence while this replica publishes (it holds partition 0), else null. */
    private WriterFence fence;
    private BuildShare share;
    private volatile Set<Integer> held;
    /** Every usable frame and its record, and every frame's latest label, read so far (by capture/frame). */
    private final Map<String, FrameRef> frames = new TreeMap<>();
    /** Where each usable frame's record is (not the record: its content is the FrameRef above). */
    private final Map<String, RecordPosition> frameRecords = new HashMap<>();
    private final Map<String, TipLabel> labels = new HashMap<>();
    /** Each capture's shards for the newest source this worker knows of (built here or by another replica). */
    private final Map<String, CaptureShards> built = new HashMap<>();
    /** Where each partition of both topics has been read up to (review R7: a pass reads what is new). */
    private Map<TopicPartition, Long> readUpTo = Map.of();
    /** Positions of records already dead-lettered (read again when this replica's partitions change). */
    private Set<String> alreadyDead;
    /** Unusable records of partitions another replica holds: dead-lettered here if their partition comes here. */
    private final Map<String, Unusable> unusable = new HashMap<>();
    private long recordsRead;

    private record Unusable(ConsumerRecord<String, byte[]> record, String reason) {
    }

    /** A record's place in tipstream.frames: a few bytes a frame instead of the record (~0.5 kB). */
    private record RecordPosition(int partition, long offset) {
    }

    /**
     * {@code producer} sends dead letters; versions are announced through a fence from
     * {@code fences}, on the dataset's {@link WriterFence#augmentOf} id (review R6), which the worker
     * opens and claims when it comes to hold partition 0 (at a pass, so that a service starts
     * while Kafka is away) and closes when it no longer does or another replica has claimed it.
     * A replica that stops answering the group loses its partitions after {@code sessionTimeout}.
     */
    public AugmentWorker(BlobStore blobs, String bootstrapServers, Producer<String, byte[]> producer,
            Supplier<WriterFence> fences, DatasetAssembler assembler, String dataset, Duration sessionTimeout) {
        this.blobs = blobs;
        this.index = new FrameIndex(blobs);
        this.bootstrapServers = bootstrapServers;
        this.producer = producer;
        this.fences = fences;
        this.assembler = assembler;
        this.dataset = dataset;
        this.sessionTimeout = sessionTimeout;
    }

    /** As above, with the group's default 10 s session timeout. */
    public AugmentWorker(BlobStore blobs, String bootstrapServers, Producer<String, byte[]> producer,
            Supplier<WriterFence> fences, DatasetAssembler assembler, String dataset) {
        this(blobs, bootstrapServers, producer, fences, assembler, dataset, Duration.ofSeconds(10));
    }

    /**
     * What a pass did: labelled frames seen, the new version (if any) with its shard count, how many
     * shards this replica built (the rest earlier versions or other replicas built), the version's
     * sample count, and records dead-lettered.
     */
    public record Pass(int labelledFrames, Optional<String> version, int shards, int shardsBuilt, long samples,
            int deadLettered) {
    }

    /**
     * The summed end offsets of both topics that the last complete pass had read: once this
     * reaches the topics' own summed end offsets, the latest version holds every record sent (on
     * the replica that publishes; on another one: its captures of them are built).
     */
    public long recordsDone() {
        return completedUpTo.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Records this worker has read from both topics, over all its passes. */
    public long recordsRead() {
        return recordsRead;
    }

    /** The frames partitions this replica held at its last pass: it builds their captures. */
    public Set<Integer> heldPartitions() {
        Set<Integer> now = held;
        return now == null ? Set.of() : now;
    }

    /** Whether this replica publishes the dataset's versions (it held partition 0 at its last pass). */
    public boolean publishes() {
        return publishing;
    }

    public Pass runOnce() throws Exception {
        if (share == null) {
            share = new BuildShare(bootstrapServers, dataset, sessionTimeout);
        }
        Set<Integer> holding = share.refresh(JOIN_TIMEOUT);
        boolean moved = !holding.equals(held);
        if (moved) {
            held = holding;
            alreadyDead = null; // the replica that held them may have dead-lettered records since
            LOG.infof("augment of %s holds partitions %s of %s%s", dataset, holding, Topics.FRAMES,
                    share.publishes() ? " and publishes its versions" : "");
        }
        // nothing new on either topic since the last complete pass, nor in what it holds: nothing to do
        Map<TopicPartition, Long> ends = TopicSnapshot.ends(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS),
                "augment");
        if (ends.equals(completedUpTo) && !moved) {
            return new Pass(0, Optional.empty(), 0, 0, 0, 0);
        }
        if (share.publishes() && fence == null) {
            WriterFence claiming = fences.get();
            claiming.claim(); // from here an earlier publisher of this dataset cannot publish a version
            fence = claiming;
        } else if (!share.publishes() && fence != null) {
            fence.close();
            fence = null;
        }
        publishing = fence != null;
        return pass(ends);
    }

    private Pass pass(Map<TopicPartition, Long> ends) throws Exception {
        if (alreadyDead == null) {
            alreadyDead = DeadLetters.positionsIn(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS), "augment-dlq");
        }
        TopicSnapshot.Read read = TopicSnapshot.readFrom(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS),
                "augment", readUpTo);
        if (read.skipped() && !readUpTo.isEmpty()) {
            // records went (retention, a log that went back) before this worker read them, perhaps a
            // label's newer revision: start again from all the topics and the index hold, as a new worker does
            frames.clear();
            frameRecords.clear();
            labels.clear();
            readUpTo = Map.of();
            read = TopicSnapshot.readFrom(bootstrapServers, List.of(Topics.FRAMES, Topics.LABELS), "augment", readUpTo);
        }
        boolean fromTheStart = readUpTo.isEmpty();
        for (ConsumerRecord<String, byte[]> record : read.records()) {
            recordsRead++;
            String reason;
            try {
                if (record.topic().equals(Topics.FRAMES)) {
                    FrameRef ref = FrameRef.parseFrom(record.value());
                    reason = !SHA256_HEX.matcher(ref.getSha256()).matches() ? "sha256 is not 64 hex digits"
                            : !ref.getBlobKey().equals(ObjectKeys.frame(ref.getSha256()))
                                    ? "blob key " + ref.getBlobKey() + " is not frames/<sha256>.png"
                            : isStored(ref.getBlobKey()) ? null : "blob " + ref.getBlobKey() + " is missing";
                    if (reason == null) {
                        frames.put(ref.getCaptureId() + "/" + ref.getFrameName(), ref);
                        frameRecords.put(ref.getCaptureId() + "/" + ref.getFrameName(),
                                new RecordPosition(record.partition(), record.offset()));
                    }
                } else {
                    TipLabel label = TipLabel.parseFrom(record.value());
                    reason = problem(label).orElse(null);
                    if (reason == null) {
                        labels.merge(label.getCaptureId() + "/" + label.getFrameName(), label,
                                (a, b) -> b.getRevision() >= a.getRevision() ? b : a);
                    }
                }
            } catch (InvalidProtocolBufferException e) {
                reason = "undecodable record: " + e.getMessage();
            }
            if (reason != null) {
                unusable.put(DeadLetters.position(record), new Unusable(record, reason));
            }
        }
        if (read.skipped() || fromTheStart) {
            fromIndex(frames, labels);
        }
        // what was read is in the maps above (merging a record again changes nothing), so a pass
        // that fails from here on does not need it read again
        readUpTo = read.ends();
        int dead = deadLetterUnusable();
        List<DatasetAssembler.LabelledFrame> labelled = new ArrayList<>();
        frames.forEach((key, frame) -> {
            TipLabel label = labels.get(key);
            if (label != null) {
                labelled.add(new DatasetAssembler.LabelledFrame(frame, label));
            }
        });
        if (labelled.isEmpty()) {
            completedUpTo = ends;
            return new Pass(0, Optional.empty(), 0, 0, 0, dead);
        }
        TreeMap<String, List<DatasetAssembler.LabelledFrame>> captures = DatasetAssembler.byCapture(labelled);
        Optional<DatasetManifest> previous = latestManifest();
        Map<String, CaptureShards> listed = previous.map(DatasetAssembler::shardsByCapture).orElse(Map.of());
        Map<String, String> sources = new HashMap<>();
        int shardsBuilt = 0;
        // this replica's share: its captures whose frames or labels changed since their shards were built
        for (Map.Entry<String, List<DatasetAssembler.LabelledFrame>> capture : captures.entrySet()) {
            String source = assembler.source(capture.getValue());
            sources.put(capture.getKey(), source);
            if (!share.builds(capture.getKey()) || known(capture.getKey(), source, listed).isPresent()) {
                continue;
            }
            DatasetAssembler.CaptureBuild build = assembler.build(capture.getValue(), blobs::get,
                    (key, bytes) -> blobs.put(key, bytes, "application/octet-stream"));
            dead += deadLetter(build.rejected());
            // last: a build found here is complete, its frames left out dead-lettered
            blobs.put(ObjectKeys.captureShards(dataset, source), build.shards().toByteArray(), "application/x-protobuf");
            built.put(capture.getKey(), build.shards());
            shardsBuilt += build.shardsBuilt();
        }
        share.commit(readUpTo);
        if (fence == null) {
            completedUpTo = ends;
            return new Pass(labelled.size(), Optional.empty(), 0, shardsBuilt, 0, dead);
        }
        // the publisher: every capture at its newest source, or as the latest version has it while
        // the replica that builds it has not yet
        List<CaptureShards> included = new ArrayList<>();
        int waiting = 0;
        for (String capture : captures.keySet()) {
            Optional<CaptureShards> current = known(capture, sources.get(capture), listed);
            if (current.isPresent()) {
                included.add(current.get());
            } else {
                waiting++;
                Optional.ofNullable(listed.get(capture)).ifPresent(included::add);
            }
        }
        Optional<DatasetManifest> composed = assembler.compose(included, previous);
        if (composed.isEmpty()) {
            if (waiting == 0) {
                completedUpTo = ends;
            }
            return new Pass(labelled.size(), Optional.empty(), 0, shardsBuilt, 0, dead);
        }
        DatasetManifest manifest = composed.get();
        String manifestKey = ObjectKeys.manifest(dataset, manifest.getVersion());
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
        // the manifest is stored inside the transaction that announces it: a publisher another one
        // has fenced stops before it writes a version
        try {
            fence.publish("dataset " + dataset, announcements, () -> storeNew(manifestKey, manifest));
        } catch (WriterFence.TakenOver e) {
            // partition 0 has moved to another replica, which publishes from now on; this one builds
            LOG.infof("augment of %s no longer publishes: %s", dataset, e.getMessage());
            fence.close();
            fence = null;
            publishing = false;
            return new Pass(labelled.size(), Optional.empty(), 0, shardsBuilt, 0, dead);
        } catch (VersionTaken e) {
            // an earlier publisher stored this version and was gone before it moved latest: the
            // next pass builds on it
            LOG.infof("dataset %s %s was stored by an earlier publisher; latest moves to it", dataset,
                    manifest.getVersion());
            LatestVersion.move(blobs, dataset, manifest.getVersion());
            return new Pass(labelled.size(), Optional.empty(), 0, shardsBuilt, 0, dead);
        }
        // last: a pass that fails before this builds and announces the same version again (the
        // trainer ignores versions it already has); moved first, the retry would see nothing to do
        LatestVersion.move(blobs, dataset, manifest.getVersion());
        if (waiting == 0) {
            completedUpTo = ends;
        }
        return new Pass(labelled.size(), Optional.of(manifest.getVersion()), manifest.getShardsCount(), shardsBuilt,
                manifest.getShardsList().stream().mapToLong(ShardEntry::getSampleCount).sum(), dead);
    }

    /** A version's manifest already stored with other shards: versions are never overwritten. */
    private static final class VersionTaken extends Exception {
        VersionTaken(String key) {
            super(key + " exists with other shards");
        }
    }

    /**
     * Stores the manifest, unless the same version is stored already: with the same shards (this
     * publisher's earlier try) it stays as it is; with others it is another publisher's, and the
     * transaction is aborted ({@link VersionTaken}).
     */
    private void storeNew(String key, DatasetManifest manifest) throws Exception {
        Optional<byte[]> stored = blobs.find(key);
        if (stored.isEmpty()) {
            blobs.put(key, ManifestCodec.toJson(manifest), "application/json");
        } else if (!ManifestCodec.fromJson(stored.get()).getShardsList().equals(manifest.getShardsList())) {
            throw new VersionTaken(key);
        }
    }

    /**
     * The capture's shards for this source if they are known: built or found by this worker, listed
     * by the latest version, or stored by the replica that built them ({@link Shard#capturesKey}).
     */
    private Optional<CaptureShards> known(String capture, String source, Map<String, CaptureShards> listed)
            throws InvalidProtocolBufferException {
        for (CaptureShards shards : new CaptureShards[] {built.get(capture), listed.get(capture)}) {
            if (shards != null && shards.getSourceFingerprint().equals(source)) {
                return Optional.of(shards);
            }
        }
        Optional<byte[]> stored = blobs.find(ObjectKeys.captureShards(dataset, source));
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        CaptureShards shards = CaptureShards.parseFrom(stored.get());
        built.put(capture, shards);
        return Optional.of(shards);
    }

    /**
     * Why a label cannot be used, or empty when it can. Ingest checks the labels it publishes; one
     * that reaches the topic by another way and that the trainer cannot encode (a tip outside the
     * frame, not finite, or said visible without a position) would fail every run on the dataset
     * (review R20).
     */
    private Optional<String> problem(TipLabel label) {
        return label.getFrameName().isEmpty() ? Optional.of("label without frame name")
                : assembler.frameFormat().labelProblem(label.getVisible(), label.hasTip(), label.getTip().getX(),
                        label.getTip().getY());
    }

    /** Dead-letters the unusable records of the partitions this replica holds, each once. */
    private int deadLetterUnusable() throws Exception {
        int dead = 0;
        for (var it = unusable.entrySet().iterator(); it.hasNext();) {
            Unusable u = it.next().getValue();
            if (!held.contains(u.record().partition())) {
                continue; // its holder dead-letters it
            }
            if (alreadyDead.add(DeadLetters.position(u.record()))) {
                deadLetter(u.record(), u.reason());
                dead++;
            }
            it.remove();
        }
        return dead;
    }

    /** Dead-letters the frames a build left out (those whose record this worker read), each once. */
    private int deadLetter(List<DatasetAssembler.Rejected> rejected) throws Exception {
        int dead = 0;
        for (DatasetAssembler.Rejected r : rejected) {
            FrameRef ref = r.frame().frame();
            RecordPosition position = frameRecords.get(ref.getCaptureId() + "/" + ref.getFrameName());
            if (position == null) {
                // known from the index only: its record is beyond the topic's retention
                LOG.warnf("frame %s/%s left out: %s", ref.getCaptureId(), ref.getFrameName(), r.reason());
            } else if (alreadyDead.add(DeadLetters.position(Topics.FRAMES, position.partition(), position.offset()))) {
                // the record again, as ingest wrote it: keyed by its capture, the FrameRef its content
                deadLetter(new ConsumerRecord<>(Topics.FRAMES, position.partition(), position.offset(),
                        ref.getCaptureId(), ref.toByteArray()), r.reason());
                dead++;
            }
        }
        return dead;
    }

    /**
     * Adds what the topics no longer hold from ingest's index, the record of every frame and label it
     * published (reviews R1, R9): frames whose stored blob is there, and labels. Only keys the topics
     * lack are read. Called when a topic has lost records (retention, a log that went back) and when
     * a worker reads the topics from their start: a broker that lost its log's tail (one node, the
     * page cache not yet on disk) holds less than the index and nothing else says so. Not on every
     * pass: ingest writes the index after the record, so the topics a running worker reads on hold
     * everything, and the index's listing was most of a pass at the lab's scale (16 of 18 s at
     * 15,000 frames, StreamScaleBenchmark).
     */
    private void fromIndex(Map<String, FrameRef> frames, Map<String, TipLabel> labels) {
        int added = 0;
        for (String key : index.frameKeys()) {
            if (!frames.containsKey(key)) {
                Optional<FrameRef> ref = index.frame(key).filter(r -> isStored(r.getBlobKey()));
                if (ref.isPresent()) {
                    frames.put(key, ref.get());
                    added++;
                }
            }
        }
        for (String key : index.labelKeys()) {
            if (!labels.containsKey(key)) {
                Optional<TipLabel> label = index.label(key);
                Optional<String> problem = label.flatMap(this::problem);
                if (problem.isPresent()) {
                    LOG.warnf("label of %s left out: %s", key, problem.get());
                } else if (label.isPresent()) {
                    labels.put(key, label.get());
                    added++;
                }
            }
        }
        if (added > 0) {
            LOG.warnf("%d frames and labels were in ingest's index but not on the topics: added from the index", added);
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

    private Optional<DatasetManifest> latestManifest() throws InvalidProtocolBufferException {
        Optional<String> version = LatestVersion.read(blobs::find, dataset);
        if (version.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest(dataset, version.get()))));
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) throws Exception {
        producer.send(DeadLetters.of(record, reason, "augment-service")).get();
    }

    /** Leaves the group (the other replicas take this one's partitions) and closes the fence; the dead-letter producer is the caller's. */
    @Override
    public void close() {
        if (share != null) {
            share.close();
        }
        if (fence != null) {
            fence.close();
        }
    }
}
