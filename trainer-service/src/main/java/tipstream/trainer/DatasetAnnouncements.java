package tipstream.trainer;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore.BlobStoreException;
import tipstream.dataset.DatasetVersion;
import tipstream.dataset.DeadLetters;
import tipstream.dataset.KafkaSettings;
import tipstream.dataset.LatestVersion;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PlainName;
import tipstream.dataset.Topics;
import tipstream.service.Backoff;
import tipstream.v1.DatasetManifest;
import tipstream.v1.ShardReady;

/**
 * Keeps the newest version of one dataset: first the one augment last published
 * ({@code datasets/<name>/latest} in S3, which the topic may no longer hold: review R1), then
 * whatever newer {@code tipstream.shards} announces from the moment it starts, whose manifest is in
 * S3 (augment writes the manifest before it announces shards). It never reads the topic's history:
 * the pointer holds what came before (issue 12: a trainer follows new versions without re-reading
 * history), and because augment moves the pointer just after it announces (review R2), a version
 * announced in between is taken from the pointer, which is read again every {@code pointerEvery}.
 * Records of other datasets are skipped; records that cannot be used (undecodable, or naming a
 * manifest that is not there) go to {@code tipstream.shards.dlq} once, with the reason. It waits
 * for the topic to exist, and retries a record while S3 fails (with backoff up to 30 s): neither
 * may end the follower, or the trainer would wait for a version forever. Should it stop for any
 * other reason, {@link #latest()} says so instead of answering "nothing yet".
 */
public final class DatasetAnnouncements implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DatasetAnnouncements.class);

    private final String dataset;
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final Function<String, Optional<byte[]>> manifests;
    private final Producer<String, byte[]> producer;
    private final Set<String> alreadyDeadLettered;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final Duration pointerEvery;
    private volatile DatasetManifest latest;
    private volatile RuntimeException stopped;
    private final AtomicLong recordsRead = new AtomicLong();
    private volatile boolean following;

    /** {@code manifests} looks an object (a manifest, the latest pointer) up by its S3 key (BlobStore::find). */
    public DatasetAnnouncements(String bootstrapServers, String dataset, Function<String, Optional<byte[]>> manifests,
            Producer<String, byte[]> producer) throws InvalidProtocolBufferException {
        this(bootstrapServers, dataset, manifests, producer, Duration.ofSeconds(30));
    }

    DatasetAnnouncements(String bootstrapServers, String dataset, Function<String, Optional<byte[]>> manifests,
            Producer<String, byte[]> producer, Duration pointerEvery) throws InvalidProtocolBufferException {
        this.dataset = dataset;
        this.pointerEvery = pointerEvery;
        this.manifests = manifests;
        this.producer = producer;
        this.alreadyDeadLettered = DeadLetters.positionsIn(bootstrapServers, List.of(Topics.SHARDS), "trainer-dlq");
        this.consumer = new KafkaConsumer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.CLIENT_ID_CONFIG, "trainer-shards",
                // augment announces a version in the transaction that stores it (WriterFence): committed ones only
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::follow, "shard-announcements");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The newest announced version so far, if any; fails once the follower has stopped unexpectedly. */
    public Optional<DatasetManifest> latest() {
        if (stopped != null) {
            throw new IllegalStateException("stopped following " + Topics.SHARDS + ": " + stopped, stopped);
        }
        return Optional.ofNullable(latest);
    }

    /** Whether it has its place in the topic: every announcement sent from now on is read. */
    boolean following() {
        return following;
    }

    /** Records of {@code tipstream.shards} read so far (what it costs to follow the topic). */
    long recordsRead() {
        return recordsRead.get();
    }

    private void follow() {
        try {
            whileS3Fails("dataset " + dataset + "'s latest version", this::takeStoredLatest);
            List<TopicPartition> partitions = Topics.partitionsOnceCreated(consumer, Topics.SHARDS, running::get);
            // where the topic ends before the pointer is read again: whatever is announced after
            // that is read from the topic, whatever before is in the pointer (or comes with its next read)
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            whileS3Fails("dataset " + dataset + "'s latest version", this::takeStoredLatest);
            consumer.assign(partitions);
            ends.forEach(consumer::seek);
            following = true;
            long nextPointer = System.nanoTime() + pointerEvery.toNanos();
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    recordsRead.incrementAndGet();
                    whileS3Fails("the manifest of " + DeadLetters.position(record), () -> take(record));
                }
                if (System.nanoTime() >= nextPointer) {
                    whileS3Fails("dataset " + dataset + "'s latest version", this::takeStoredLatest);
                    nextPointer = System.nanoTime() + pointerEvery.toNanos();
                }
            }
        } catch (WakeupException | InterruptException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            stopped = e;
            LOG.error("stopped following " + Topics.SHARDS, e);
        } finally {
            // close() interrupts a backoff sleep; a consumer closed interrupted fails its fetch sessions
            // and throws, which ended this thread with an error on every shutdown. The flag is cleared,
            // and an interrupt that comes during the close (close() may send it just now) is let go.
            Thread.interrupted();
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (InterruptException e) {
                LOG.debug("interrupted while closing the shards consumer", e);
            }
        }
    }

    /** Runs the read, trying again with backoff while S3 fails: the data is fine, the store is not there yet. */
    private void whileS3Fails(String what, Runnable read) throws InterruptedException {
        Backoff backoff = new Backoff(500, MAX_BACKOFF_MILLIS);
        while (running.get()) {
            try {
                read.run();
                return;
            } catch (BlobStoreException e) {
                long pause = backoff.failed();
                LOG.warnf("reading %s failed, retrying in %d ms: %s", what, pause, e.getMessage());
                Thread.sleep(pause);
            }
        }
    }

    /** The version the {@code latest} pointer names, if there is one newer than the one kept. */
    private void takeStoredLatest() {
        Optional<String> pointer = LatestVersion.read(manifests, dataset);
        if (pointer.isEmpty()) {
            return;
        }
        String version = pointer.get();
        try {
            if (latest != null && DatasetVersion.parse(version).compareTo(DatasetVersion.parse(latest.getVersion())) <= 0) {
                return;
            }
        } catch (IllegalArgumentException e) {
            LOG.warnf("dataset %s: the latest pointer names %s, not a version: %s", dataset, version, e.getMessage());
            return;
        }
        Optional<byte[]> manifest = manifests.apply(ObjectKeys.manifest(dataset, version));
        if (manifest.isEmpty()) {
            LOG.warnf("dataset %s: the latest pointer names %s, whose manifest is missing", dataset, version);
            return;
        }
        try {
            latest = ManifestCodec.fromJson(manifest.get());
            LOG.infof("dataset %s %s published: %d shards", dataset, latest.getVersion(), latest.getShardsCount());
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("dataset %s: the latest version's manifest is unreadable, following announcements only: %s",
                    dataset, e.getMessage());
        }
    }

    private void take(ConsumerRecord<String, byte[]> record) {
        String reason;
        try {
            ShardReady ready = ShardReady.parseFrom(record.value() == null ? new byte[0] : record.value());
            if (!ready.getDataset().equals(dataset)) {
                return;
            }
            DatasetVersion version = DatasetVersion.parse(ready.getVersion());
            if (latest != null && version.compareTo(DatasetVersion.parse(latest.getVersion())) <= 0) {
                return;
            }
            String expected = ObjectKeys.manifest(dataset, version.toString());
            if (!ready.getManifestKey().equals(expected)) {
                // a key read from Kafka is fetched only where the version's manifest lives (review R20)
                throw new IllegalArgumentException("manifest key '" + PlainName.printable(ready.getManifestKey())
                        + "' is not " + dataset + " " + ready.getVersion() + "'s, " + expected);
            }
            Optional<byte[]> manifest = manifests.apply(ready.getManifestKey());
            if (manifest.isPresent()) {
                latest = ManifestCodec.fromJson(manifest.get());
                LOG.infof("dataset %s %s announced: %d shards", dataset, latest.getVersion(), latest.getShardsCount());
                return;
            }
            reason = "manifest " + ready.getManifestKey() + " is missing";
        } catch (InvalidProtocolBufferException e) {
            reason = "undecodable record: " + e.getMessage();
        } catch (IllegalArgumentException e) {
            reason = e.getMessage();
        }
        String position = DeadLetters.position(record);
        if (!alreadyDeadLettered.contains(position)) {
            LOG.warnf("%s to the dead-letter topic: %s", position, reason);
            String why = reason;
            // not awaited (the follower reads on), but a dead letter that could not be sent is said
            producer.send(DeadLetters.of(record, reason, "trainer-service"), (sent, e) -> {
                if (e != null) {
                    LOG.errorf("%s could not be dead-lettered (%s): %s", position, e, why);
                }
            });
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        thread.interrupt(); // out of a backoff sleep
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
