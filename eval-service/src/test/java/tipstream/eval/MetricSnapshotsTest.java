package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStack;
import tipstream.v1.MetricEvent;

/**
 * Issue 12 (review R1): eval's metric store survives a restart and the topic's retention. A
 * restarted consumer reads only what came since its snapshot, and keeps events the topic has lost.
 */
class MetricSnapshotsTest {
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

    /** Each test starts from a topic without records and no snapshot. */
    @BeforeEach
    void emptyTopicNoSnapshot() throws Exception {
        deleteEveryRecord();
        stack.blobStore().delete(ObjectKeys.metricPositions());
    }

    @Test
    void aRestartedConsumerReadsOnlyWhatIsNewAndKeepsWhatTheTopicLost() throws Exception {
        for (long step = 0; step < 20; step++) {
            publish("r1/train", "metrics/loss", step, 1.0 / (step + 1));
        }
        publish("r1/eval", "accuracy/overall_mean", 10, 0.5);
        publish("r1/eval", "accuracy/overall_mean", 10, 0.75); // a replayed step replaces the first

        MetricStore first = new MetricStore();
        MetricsConsumer consumer = consumer(first);
        await(() -> first.series("r1/train", "metrics/loss").size() == 20
                && first.series("r1/eval", "accuracy/overall_mean").size() == 1);
        assertThat(consumer.recordsRead()).isEqualTo(22);
        consumer.stop(null); // saves the snapshot as it stops
        assertThat(stack.blobStore().exists(ObjectKeys.metricPositions())).isTrue();

        deleteEveryRecord(); // as a retention would: the topic no longer holds any of them
        publish("r1/train", "metrics/loss", 20, 0.01);

        MetricStore second = new MetricStore();
        MetricsConsumer restarted = consumer(second);
        await(() -> second.series("r1/train", "metrics/loss").size() == 21);
        assertThat(restarted.recordsRead()).isEqualTo(1); // not a replay of the topic
        assertThat(second.series("r1/train", "metrics/loss")).extracting(MetricEvent::getStep)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 21).boxed().toList());
        assertThat(second.series("r1/train", "metrics/loss").get(3).getValue()).isEqualTo(0.25);
        assertThat(second.series("r1/eval", "accuracy/overall_mean")).singleElement()
                .extracting(MetricEvent::getValue).isEqualTo(0.75);

        // saved on a timer too (every second here), not only when it stops cleanly
        publish("r2/train", "metrics/loss", 1, 2.0);
        await(() -> second.series("r2/train", "metrics/loss").size() == 1);
        await(() -> new String(stack.blobStore().get(ObjectKeys.metricPositions()), StandardCharsets.UTF_8)
                .contains("r2/train"));
        assertThat(stack.blobStore().exists(ObjectKeys.metricSeries("r2/train"))).isTrue();
        restarted.stop(null);
    }

    @Test
    void aTopicIdTheBrokerDidNotGiveKeepsTheOneTheSnapshotHad() {
        new MetricSnapshots(stack.blobStore()).save(new MetricStore(), Map.of(0, 5L), "id-A");
        MetricSnapshots restarted = new MetricSnapshots(stack.blobStore());
        assertThat(restarted.load(new MetricStore(), "")).containsEntry(0, 5L); // the id unknown at this start
        restarted.save(new MetricStore(), Map.of(0, 9L), "");

        assertThat(new MetricSnapshots(stack.blobStore()).load(new MetricStore(), "id-B"))
                .as("a topic created again is still told apart").isEmpty();
        assertThat(new MetricSnapshots(stack.blobStore()).load(new MetricStore(), "id-A")).containsEntry(0, 9L);
    }

    @Test
    void anUnreadableSnapshotMeansReadingTheTopicFromItsBeginning() throws Exception {
        MetricStore store = new MetricStore();
        stack.blobStore().put(ObjectKeys.metricPositions(),
                "series.0=gone/train\nposition.0=5\n".getBytes(StandardCharsets.UTF_8), "text/plain");
        publish("r3/train", "metrics/loss", 1, 3.0);
        MetricsConsumer consumer = consumer(store);
        await(() -> store.series("r3/train", "metrics/loss").size() == 1);
        assertThat(store.runs()).extracting(r -> r.getRun()).doesNotContain("gone/train");
        assertThat(consumer.recordsRead()).isEqualTo(endOffsets() - beginningOffsets());
        consumer.stop(null);
    }

    @Test
    void aTopicCreatedAgainIsReadFromItsBeginning() throws Exception {
        // the snapshot's positions belong to the topic they were read on: on a topic deleted and
        // created again under the same name they would skip as many of its first records
        recreateTopic(); // offsets from 0, whatever the other tests published
        for (long step = 0; step < 10; step++) {
            publish("r4/train", "metrics/loss", step, 1.0);
        }
        MetricStore first = new MetricStore();
        MetricsConsumer consumer = consumer(first);
        await(() -> first.series("r4/train", "metrics/loss").size() == 10);
        consumer.stop(null);

        recreateTopic();
        for (long step = 100; step < 112; step++) {
            publish("r4/train", "metrics/loss", step, 2.0); // the same key: the partition of the first 10
        }
        MetricStore second = new MetricStore();
        MetricsConsumer restarted = consumer(second);
        // what the old topic held is kept, and all of the new one is read
        await(() -> second.series("r4/train", "metrics/loss").size() == 22);
        assertThat(restarted.recordsRead()).isEqualTo(12);
        restarted.stop(null);
    }

    private static MetricsConsumer consumer(MetricStore store) {
        MetricsConsumer consumer = new MetricsConsumer(store, new MetricSnapshots(stack.blobStore()),
                stack.kafkaBootstrapServers(), new SimpleMeterRegistry(), producer, new EvalConfig() {
                    @Override
                    public int batchSize() {
                        return 16;
                    }

                    @Override
                    public int eventFilesEverySeconds() {
                        return 15;
                    }

                    @Override
                    public int subscriberQueue() {
                        return 100;
                    }

                    @Override
                    public int metricSnapshotEverySeconds() {
                        return 1;
                    }

                    @Override
                    public int maxPollIntervalMs() {
                        return 2000;
                    }

                    @Override
                    public int views() {
                        return 1;
                    }

                    @Override
                    public int retryAttempts() {
                        return 12;
                    }
                });
        consumer.start(null);
        return consumer;
    }

    private static void publish(String run, String tag, long step, double value) throws Exception {
        MetricEvent event = MetricEvent.newBuilder().setRun(run).setTag(tag).setStep(step).setValue(value)
                .setWallTimeMs(System.currentTimeMillis()).build();
        producer.send(new ProducerRecord<>(Topics.METRICS, run, event.toByteArray())).get();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()));
    }

    private static Map<TopicPartition, OffsetSpec> every(OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        for (int p = 0; p < DevStack.PARTITIONS; p++) {
            specs.put(new TopicPartition(Topics.METRICS, p), spec);
        }
        return specs;
    }

    private static long offsets(OffsetSpec spec) throws Exception {
        try (Admin admin = admin()) {
            return admin.listOffsets(every(spec)).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    private static long endOffsets() throws Exception {
        return offsets(OffsetSpec.latest());
    }

    private static long beginningOffsets() throws Exception {
        return offsets(OffsetSpec.earliest());
    }

    /** Deletes tipstream.metrics and creates it again, as an operator might; the same name, another topic id. */
    private static void recreateTopic() throws Exception {
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(Topics.METRICS)).all().get();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    admin.createTopics(List.of(new NewTopic(Topics.METRICS, DevStack.PARTITIONS, (short) 1)
                            .configs(Topics.CONFIG))).all().get();
                    return;
                } catch (java.util.concurrent.ExecutionException e) {
                    // still being deleted
                    assertThat(System.nanoTime()).as("topic created again within 30 s: " + e.getCause()).isLessThan(deadline);
                    Thread.sleep(200);
                }
            }
        }
    }

    private static void deleteEveryRecord() throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, RecordsToDelete> deletions = new HashMap<>();
            admin.listOffsets(every(OffsetSpec.latest())).all().get()
                    .forEach((partition, end) -> deletions.put(partition, RecordsToDelete.beforeOffset(end.offset())));
            admin.deleteRecords(deletions).all().get();
        }
        assertThat(beginningOffsets()).isEqualTo(endOffsets());
    }
}
