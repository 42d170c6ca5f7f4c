package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.FrameName;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStack;
import tipstream.v1.TipLabel;

/** Label revisions on the real Kafka and S3, from two replicas whose clocks disagree. */
class LabelPublisherTest {
    @Test
    void aCorrectionThroughAReplicaWhoseClockIsBehindStillWins(@TempDir Path dir) throws Exception {
        // review R8: the revision was each replica's wall clock, so a later correction through a
        // replica 5 s behind lost to the earlier label, and re-sending it was a no-op
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            Instant t = Instant.parse("2026-12-02T12:00:00Z");
            FrameIndex index = new FrameIndex(stack.blobStore());
            LabelPublisher ahead = new LabelPublisher(producer, index, new SimpleMeterRegistry(),
                    Clock.fixed(t.plusMillis(5000), ZoneOffset.UTC));
            LabelPublisher behind = new LabelPublisher(producer, index, new SimpleMeterRegistry(),
                    Clock.fixed(t, ZoneOffset.UTC));
            FrameName frame = FrameName.parse("CAP-camL0000.png", null);

            assertThat(ahead.publish(frame, new LabelPublisher.Tip(true, 100, 100, false), "rig")).isTrue();
            assertThat(behind.publish(frame, new LabelPublisher.Tip(true, 120, 100, false), "cvat")).isTrue();
            // the same correction again: nothing new
            assertThat(behind.publish(frame, new LabelPublisher.Tip(true, 120, 100, false), "cvat")).isFalse();

            List<TipLabel> labels = labels(stack);
            assertThat(labels).hasSize(2);
            // augment keeps a frame's highest revision: the correction's
            TipLabel winner = labels.stream().max((a, b) -> Long.compare(a.getRevision(), b.getRevision())).orElseThrow();
            assertThat(winner.getTip().getX()).isEqualTo(120.0);
            assertThat(index.label(frame)).map(l -> l.getTip().getX()).contains(120.0);
        }
    }

    private static List<TipLabel> labels(DevStack stack) throws Exception {
        List<TipLabel> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.LABELS));
            long deadline = System.currentTimeMillis() + 15_000;
            while (out.size() < 2 && System.currentTimeMillis() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(300))) {
                    out.add(TipLabel.parseFrom(record.value()));
                }
            }
            for (var record : consumer.poll(Duration.ofMillis(500))) {
                out.add(TipLabel.parseFrom(record.value()));
            }
        }
        return out;
    }
}
