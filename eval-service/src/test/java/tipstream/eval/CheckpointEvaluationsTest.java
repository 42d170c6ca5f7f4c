package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.quarkus.test.common.QuarkusTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Shard;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStackResource;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.v1.CheckpointReady;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.DeadLetter;
import tipstream.v1.MetricEvent;
import tipstream.v1.Point;

/** Checkpoints announced on the real Kafka, evaluated on eval splits in the real S3. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class CheckpointEvaluationsTest {
    @Inject
    BlobStore blobs;

    @Inject
    MetricStore metrics;

    @Inject
    MeterRegistry registry;

    @Test
    void aSampleThatCannotBeScoredDeadLettersItsCheckpointAndTheNextOneIsEvaluated() throws Exception {
        // review R13: an eval sample whose tip lies outside its frame used to be retried every 5 s
        // forever, blocking every later checkpoint on the partition
        String run = "r13-" + UUID.randomUUID().toString().substring(0, 8);
        String broken = run + "-broken";
        String sound = run + "-sound";
        storeVersion(broken, List.of(sample("a", true, 100, 100), sample("b", true, 600, 10)));
        storeVersion(sound, List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        announce(run, List.of(broken, sound), checkpointKey);
        assertThat(awaitEvaluated(sound)).hasSize(1);
        assertThat(metrics.series(broken + "/eval", "accuracy/overall_mean")).isEmpty();
        List<DeadLetter> ours = deadLettersKeyed(run);
        assertThat(ours).hasSize(1);
        assertThat(ours.get(0).getReason()).contains("cannot be evaluated on " + broken).contains("600");
    }

    @Test
    void aCheckpointWhoseRunIdIsAPathIsDeadLetteredAndTheNextOneIsEvaluated() throws Exception {
        // the run id names the objects eval writes (event files, worst frames): a path would write outside runs/
        String run = "path-" + UUID.randomUUID().toString().substring(0, 8);
        storeVersion(run, "1.0.0", List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        send(run, CheckpointReady.newBuilder().setRunId(run + "/../../models").setStep(10)
                .setCheckpointKey(checkpointKey).setDataset(run).setDatasetVersion("1.0.0").build());
        announce(run, List.of(run), checkpointKey);
        assertThat(awaitEvaluated(run)).hasSize(1);
        List<DeadLetter> ours = deadLettersKeyed(run);
        assertThat(ours).hasSize(1);
        assertThat(ours.get(0).getReason()).contains("run id '" + run + "/../../models' is not a plain name");
    }

    @Test
    void aCheckpointKeyThatIsNoCheckpointsIsDeadLetteredUnreadAndTheNextOneIsEvaluated() throws Exception {
        // review R20: the key came from Kafka and was fetched as it was (models/best.pb, a frame, ...)
        String run = "key-" + UUID.randomUUID().toString().substring(0, 8);
        storeVersion(run, "1.0.0", List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        String elsewhere = "runs/" + run + "/../../models/best.zip";
        blobs.put("models/best.zip", TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        send(run, CheckpointReady.newBuilder().setRunId(run).setStep(10).setCheckpointKey(elsewhere).setDataset(run)
                .setDatasetVersion("1.0.0").build());
        String second = run + "-second";
        storeVersion(second, "1.0.0", List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        announce(run, List.of(second), checkpointKey);
        assertThat(awaitEvaluated(second)).hasSize(1);
        assertThat(metrics.series(run + "/eval", "accuracy/overall_mean")).isEmpty();
        List<DeadLetter> ours = deadLettersKeyed(run);
        assertThat(ours).hasSize(1);
        assertThat(ours.get(0).getReason()).contains("'" + elsewhere + "' is not a checkpoint's key");
    }

    @Test
    void anEvaluationThatKeepsFailingIsTriedAgainThenDeadLetteredAndTheNextOneIsEvaluated() throws Exception {
        // review R13: a failure of no known kind was tried every 5 s forever, blocking the partition
        String run = "fails-" + UUID.randomUUID().toString().substring(0, 8);
        String failing = run + "-failing";
        String sound = run + "-sound";
        storeVersion(failing, "1.0.0", List.of(sample("a", true, 100, 100)));
        // the version's eval shard is not there to read (deleted, not yet replicated): S3 answers NoSuchKey
        blobs.delete("datasets/" + failing + "/1.0.0/eval/shard-00000.tshard");
        storeVersion(sound, "1.0.0", List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        double retriesBefore = registry.counter("tipstream.eval.evaluation.retries").count();
        announce(run, List.of(failing, sound), checkpointKey);
        assertThat(awaitEvaluated(sound)).hasSize(1);
        assertThat(registry.counter("tipstream.eval.evaluation.retries").count() - retriesBefore).isEqualTo(2);
        List<DeadLetter> ours = deadLettersKeyed(run);
        assertThat(ours).singleElement().satisfies(l -> assertThat(l.getReason())
                .startsWith("evaluation failed 2 times in a row, the last: "));
    }

    @Test
    void aCheckpointWaitingForAnEvalSplitDoesNotHoldBackTheNextOne() throws Exception {
        // review R13: a checkpoint of a dataset without eval captures used to park its whole partition
        String run = "wait-" + UUID.randomUUID().toString().substring(0, 8);
        String early = run + "-early";
        String ready = run + "-ready";
        storeVersion(early, "1.0.0", List.of());
        storeVersion(ready, "1.0.0", List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        announce(run, List.of(early, ready), checkpointKey);
        assertThat(awaitEvaluated(ready)).hasSize(1);
        assertThat(metrics.series(early + "/eval", "accuracy/overall_mean")).isEmpty();

        // the first dataset's next version has eval captures: its waiting checkpoint is evaluated
        storeVersion(early, "1.1.0", List.of(sample("a", true, 100, 100)));
        assertThat(awaitEvaluated(early)).hasSize(1);
    }

    @Test
    void labelsAreReadInTheFrameSizeTheVersionRecords() throws Exception {
        // (600, 10) lies outside a 528 x 406 frame (dead-lettered above) but inside this version's 1056 x 812
        String run = "wide-" + UUID.randomUUID().toString().substring(0, 8);
        storeVersion(run, "1.0.0", List.of(sample("a", true, 600, 10), sample("c", false, 0, 0)), 1056, 812);
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        announce(run, List.of(run), checkpointKey);
        assertThat(awaitEvaluated(run)).hasSize(1);
        assertThat(deadLetters().stream().filter(l -> l.getKey().toStringUtf8().equals(run))).isEmpty();
    }

    @Test
    void anEvaluationLongerThanThePollIntervalIsPublishedOnceAndTheNextCheckpointIsEvaluated() throws Exception {
        // review R13: with the evaluation on the polling thread, one longer than max.poll.interval.ms
        // (2 s in tests) got the consumer dropped from its group, its commit refused, and the same
        // checkpoint evaluated again and again, never the one behind it
        String run = "r13-slow-" + UUID.randomUUID().toString().substring(0, 8);
        String slow = run + "-large";
        String next = run + "-small";
        DatasetSample one = sample("a", true, 100, 100);
        List<DatasetSample> large = new ArrayList<>();
        for (int i = 0; i < 800; i++) { // about 6 s of scoring here, well over the 2 s
            large.add(one.toBuilder().setFrameName("f" + i + ".png").build());
        }
        storeVersion(slow, large);
        storeVersion(next, List.of(sample("a", true, 100, 100), sample("c", false, 0, 0)));
        String checkpointKey = "runs/" + run + "/checkpoints/step-000000000010.zip";
        blobs.put(checkpointKey, TipNet.build(TipNetConfig.standard()).toBytes(), "application/zip");
        announce(run, List.of(slow, next), checkpointKey);
        assertThat(awaitEvaluated(next)).hasSize(1);
        assertThat(metrics.series(slow + "/eval", "accuracy/overall_mean")).hasSize(1);
        // published once: the topic itself, not the store (which takes a repeated event once)
        assertThat(publishedEvents(slow + "/eval", "accuracy/overall_mean")).isEqualTo(1);
    }

    /** How many committed events of this run and tag the metrics topic holds. */
    private static long publishedEvents(String run, String tag) throws Exception {
        long count = 0;
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers(), ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            reader.subscribe(List.of(Topics.METRICS));
            long quietSince = System.currentTimeMillis();
            while (System.currentTimeMillis() - quietSince < 3000) {
                for (var record : reader.poll(Duration.ofMillis(300))) {
                    quietSince = System.currentTimeMillis();
                    MetricEvent event = MetricEvent.parseFrom(record.value());
                    if (event.getRun().equals(run) && event.getTag().equals(tag)) {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    private void announce(String run, List<String> datasets, String checkpointKey) throws Exception {
        // all keyed by the run: the same partition, in this order
        for (String dataset : datasets) {
            send(run, CheckpointReady.newBuilder().setRunId(dataset).setStep(10).setCheckpointKey(checkpointKey)
                    .setDataset(dataset).setDatasetVersion("1.0.0").build());
        }
    }

    /** Announces {@code checkpoint} keyed {@code key} (its partition), acknowledged. */
    private void send(String key, CheckpointReady checkpoint) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.CHECKPOINTS, key, checkpoint.toByteArray())).get();
        }
    }

    private List<?> awaitEvaluated(String run) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (metrics.series(run + "/eval", "accuracy/overall_mean").isEmpty()
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        return metrics.series(run + "/eval", "accuracy/overall_mean");
    }

    private void storeVersion(String dataset, List<DatasetSample> eval) {
        storeVersion(dataset, "1.0.0", eval);
    }

    private void storeVersion(String dataset, String version, List<DatasetSample> eval) {
        storeVersion(dataset, version, eval, 528, 406);
    }

    /** A version of frames of this size whose eval split is {@code eval} (none when empty), made the dataset's latest. */
    private void storeVersion(String dataset, String version, List<DatasetSample> eval, int frameWidth,
            int frameHeight) {
        DatasetManifest.Builder manifest = DatasetManifest.newBuilder().setDataset(dataset).setVersion(version)
                .setInputWidth(264).setInputHeight(203).setFrameWidth(frameWidth).setFrameHeight(frameHeight);
        if (!eval.isEmpty()) {
            byte[] shard = Shard.write(eval);
            String shardKey = "datasets/" + dataset + "/" + version + "/eval/shard-00000.tshard";
            blobs.put(shardKey, shard, "application/octet-stream");
            manifest.addShards(Shard.entry(shardKey, CaptureSplit.EVAL, eval.size(), shard));
        }
        blobs.put(ObjectKeys.manifest(dataset, version), ManifestCodec.toJson(manifest.build()), "application/json");
        blobs.put(ObjectKeys.latestVersion(dataset), version.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    private static DatasetSample sample(String name, boolean visible, double x, double y) {
        BufferedImage image = new BufferedImage(264, 203, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(50, 50, 0, 255);
        return DatasetSample.newBuilder().setCaptureId("cap").setFrameName(name + ".png")
                .setPng(ByteString.copyFrom(PngFrameCodec.encode(image))).setVisible(visible)
                .setTip(Point.newBuilder().setX(x).setY(y)).build();
    }

    /** The dead letters of announcements keyed {@code key}. */
    private static List<DeadLetter> deadLettersKeyed(String key) throws Exception {
        return deadLetters().stream().filter(l -> l.getKey().toStringUtf8().equals(key)).toList();
    }

    private static List<DeadLetter> deadLetters() throws Exception {
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers(), ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            dlq.subscribe(List.of(Topics.deadLetter(Topics.CHECKPOINTS)));
            long deadline = System.currentTimeMillis() + 10_000;
            while (System.currentTimeMillis() < deadline) {
                for (var record : dlq.poll(Duration.ofMillis(300))) {
                    letters.add(DeadLetter.parseFrom(record.value()));
                }
                if (!letters.isEmpty() && !dlq.assignment().isEmpty()) {
                    break;
                }
            }
        }
        return letters;
    }

    private static String servers() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }
}
