package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.dataset.BlobStore.BlobStoreException;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStack;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DeadLetter;
import tipstream.v1.ShardReady;

/** Review R4: the follower neither gives up on a topic that is not there yet nor on an S3 error. */
class DatasetAnnouncementsTest {
    @TempDir
    static Path dir;
    private static DevStack stack;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() throws Exception {
        stack = DevStack.start(DevStack.Settings.ephemeral(dir));
        producer = stack.producer();
    }

    @AfterAll
    static void stop() {
        producer.close();
        stack.close();
    }

    /** Stores a manifest of {@code dataset} 1.0.0 and announces it. */
    private static void announce(String dataset) throws Exception {
        announce(dataset, "1.0.0");
    }

    private static void announce(String dataset, String version) throws Exception {
        String key = store(dataset, version);
        ShardReady ready = ShardReady.newBuilder().setDataset(dataset).setVersion(version).setManifestKey(key).build();
        producer.send(new ProducerRecord<>(Topics.SHARDS, dataset, ready.toByteArray())).get();
    }

    /** Stores a version's manifest; returns its key. */
    private static String store(String dataset, String version) throws Exception {
        DatasetManifest manifest = DatasetManifest.newBuilder().setDataset(dataset).setVersion(version).build();
        String key = ObjectKeys.manifest(dataset, version);
        stack.blobStore().put(key, ManifestCodec.toJson(manifest), "application/json");
        return key;
    }

    /** Moves the dataset's latest pointer, as augment does just after it announces a version. */
    private static void point(String dataset, String version) throws Exception {
        stack.blobStore().put(ObjectKeys.latestVersion(dataset), version.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "text/plain");
    }

    private static Optional<DatasetManifest> awaitLatest(DatasetAnnouncements announcements) throws InterruptedException {
        return awaitVersion(announcements, null);
    }

    /** Waits up to 15 s for {@code version} (any version when null) and returns what the follower has then. */
    private static Optional<DatasetManifest> awaitVersion(DatasetAnnouncements announcements, String version)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline && !announcements.latest()
                .filter(m -> version == null || m.getVersion().equals(version)).isPresent()) {
            Thread.sleep(100);
        }
        return announcements.latest();
    }

    @Test
    void waitsForTheTopicToBeCreated() throws Exception {
        // devstack's broker, like most production ones, does not create topics on first use
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrapServers()))) {
            admin.deleteTopics(List.of(Topics.SHARDS)).all().get();
            while (admin.listTopics().names().get().contains(Topics.SHARDS)) {
                Thread.sleep(100);
            }
            BlobStore blobs = stack.blobStore();
            try (DatasetAnnouncements announcements = new DatasetAnnouncements(stack.kafkaBootstrapServers(),
                    "late", blobs::find, producer)) {
                Thread.sleep(2000); // the follower starts while there is no topic
                assertThat(announcements.latest()).isEmpty();
                admin.createTopics(List.of(new NewTopic(Topics.SHARDS, DevStack.PARTITIONS, (short) 1))).all().get();
                awaitFollowing(announcements);
                announce("late");
                assertThat(awaitLatest(announcements)).map(DatasetManifest::getVersion).contains("1.0.0");
            }
        }
    }

    @Test
    void anS3ErrorDelaysAVersionButDoesNotLoseIt() throws Exception {
        BlobStore blobs = stack.blobStore();
        String manifestKey = ObjectKeys.manifest("blip", "1.0.0");
        AtomicInteger manifestLookups = new AtomicInteger();
        try (DatasetAnnouncements announcements = new DatasetAnnouncements(stack.kafkaBootstrapServers(), "blip",
                key -> {
                    if (key.equals(manifestKey) && manifestLookups.incrementAndGet() == 1) {
                        throw new BlobStoreException("S3 answered 503 Slow Down", null);
                    }
                    return blobs.find(key);
                }, producer)) {
            awaitFollowing(announcements);
            announce("blip");
            assertThat(awaitLatest(announcements)).map(DatasetManifest::getVersion).contains("1.0.0");
            // the announced manifest: failed once, then read
            assertThat(manifestLookups.get()).isEqualTo(2);
        }
    }

    @Test
    void anAnnouncementWhoseManifestKeyIsNotItsVersionsIsNeitherFetchedNorTaken() throws Exception {
        // review R20: the manifest key came from Kafka and was fetched as it was
        BlobStore blobs = stack.blobStore();
        String elsewhere = store("keys-other", "9.0.0");
        List<String> fetched = new CopyOnWriteArrayList<>();
        try (DatasetAnnouncements announcements = new DatasetAnnouncements(stack.kafkaBootstrapServers(), "keys",
                key -> {
                    fetched.add(key);
                    return blobs.find(key);
                }, producer)) {
            awaitFollowing(announcements);
            for (String version : List.of("2.0.0", "../../etc")) {
                producer.send(new ProducerRecord<>(Topics.SHARDS, "keys", ShardReady.newBuilder().setDataset("keys")
                        .setVersion(version).setManifestKey(elsewhere).build().toByteArray())).get();
            }
            announce("keys", "1.0.0");
            assertThat(awaitLatest(announcements)).map(DatasetManifest::getVersion).contains("1.0.0");
            assertThat(fetched).doesNotContain(elsewhere).contains(ObjectKeys.manifest("keys", "1.0.0"));
        }
        List<String> reasons = deadLetterReasons("keys");
        assertThat(reasons).anySatisfy(r -> assertThat(r)
                .contains("manifest key '" + elsewhere + "' is not keys 2.0.0's"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("'../../etc' is not a MAJOR.MINOR.PATCH version"));
    }

    /** The reasons of the dead letters of {@code tipstream.shards} records keyed {@code key}. */
    private static List<String> deadLetterReasons(String key) throws Exception {
        List<String> reasons = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (reasons.size() < 2 && System.nanoTime() < deadline) {
            reasons.clear();
            for (var record : tipstream.dataset.TopicSnapshot.read(stack.kafkaBootstrapServers(),
                    List.of(Topics.deadLetter(Topics.SHARDS)), "test")) {
                DeadLetter letter = DeadLetter.parseFrom(record.value());
                if (letter.getKey().toStringUtf8().equals(key)) {
                    reasons.add(letter.getReason());
                }
            }
            Thread.sleep(100);
        }
        return reasons;
    }

    @Test
    void followsWhatIsAnnouncedAfterItStartsNotTheTopicsHistory() throws Exception {
        for (int i = 0; i < 20; i++) {
            announce("history", "1.0." + i);
        }
        point("history", "1.0.19");
        try (DatasetAnnouncements announcements = new DatasetAnnouncements(stack.kafkaBootstrapServers(), "history",
                stack.blobStore()::find, producer, Duration.ofSeconds(1))) {
            assertThat(awaitLatest(announcements)).map(DatasetManifest::getVersion).contains("1.0.19");
            awaitFollowing(announcements);
            announce("history", "1.1.0");
            assertThat(awaitVersion(announcements, "1.1.0")).map(DatasetManifest::getVersion).contains("1.1.0");
            assertThat(announcements.recordsRead()).as("the one announced after it started").isEqualTo(1);
            // a version whose announcement came before the follower took its place in the topic, and whose
            // pointer moved after it had read it: the pointer, read again, brings it
            store("history", "1.2.0");
            point("history", "1.2.0");
            assertThat(awaitVersion(announcements, "1.2.0")).map(DatasetManifest::getVersion).contains("1.2.0");
            assertThat(announcements.recordsRead()).isEqualTo(1);
        }
    }

    /** Waits until the follower has taken its place at the end of the topic (it reads nothing before). */
    private static void awaitFollowing(DatasetAnnouncements announcements) throws Exception {
        // the follower's consumer seeks to the end offsets it found; anything sent after this is after them
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!announcements.following() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(announcements.following()).isTrue();
    }

    @Test
    void closingWhileFollowingEndsItsThreadWithoutAnError() throws Exception {
        // the trainer closed it at the end of every run and its thread died with Kafka's
        // InterruptException (close() interrupts the thread, then the consumer was closed interrupted)
        List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> uncaught.add(e));
        try {
            for (int i = 0; i < 3; i++) {
                DatasetAnnouncements announcements = new DatasetAnnouncements(stack.kafkaBootstrapServers(), "closing",
                        stack.blobStore()::find, producer);
                awaitFollowing(announcements);
                announcements.close();
            }
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
        assertThat(uncaught).isEmpty();
    }

    @Test
    void startsFromTheVersionInS3WhenTheTopicNoLongerHoldsItsAnnouncements() throws Exception {
        // review R1: augment published 1.0.0 (manifest and latest pointer) long ago; its
        // announcements are gone from tipstream.shards, as records beyond retention are
        BlobStore blobs = stack.blobStore();
        DatasetManifest manifest = DatasetManifest.newBuilder().setDataset("expired").setVersion("1.3.0").build();
        blobs.put(ObjectKeys.manifest("expired", "1.3.0"), ManifestCodec.toJson(manifest), "application/json");
        blobs.put(ObjectKeys.latestVersion("expired"), "1.3.0".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "text/plain");
        try (DatasetAnnouncements announcements = new DatasetAnnouncements(stack.kafkaBootstrapServers(), "expired",
                blobs::find, producer)) {
            assertThat(awaitLatest(announcements)).map(DatasetManifest::getVersion).contains("1.3.0");
        }
    }
}
