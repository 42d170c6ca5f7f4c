package tipstream.dataset;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The records of some topics, from the beginning or given positions, up to their ends at the time of the call. */
public final class TopicSnapshot {
    private TopicSnapshot() {
    }

    /** The current end offset of every partition of the topics. */
    public static Map<TopicPartition, Long> ends(String bootstrapServers, List<String> topics, String clientId) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers, clientId)) {
            return consumer.endOffsets(assigned(consumer, topics));
        }
    }

    /**
     * The topics' partitions, assigned to the consumer: kafka-clients 4.2 logs a warning for every
     * partition whose offsets it is asked for without holding it ("Not updating high watermark ...
     * no longer assigned", KAFKA-20449: benign, a debug message from 4.4), which was six lines
     * every few seconds in an idle augment's log.
     */
    private static List<TopicPartition> assigned(KafkaConsumer<String, byte[]> consumer, List<String> topics) {
        List<TopicPartition> partitions = partitions(consumer, topics);
        consumer.assign(partitions);
        return partitions;
    }

    public static List<ConsumerRecord<String, byte[]>> read(String bootstrapServers, List<String> topics,
            String clientId) {
        return readFrom(bootstrapServers, topics, clientId, Map.of()).records();
    }

    /**
     * Records read from some positions up to the ends the topics had then; {@code skipped}: a
     * partition no longer held records from where it was to be read (retention, or records deleted),
     * or ended before it (its log went back: a broker that lost its log's tail, a topic recreated).
     */
    public record Read(List<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, Long> ends, boolean skipped) {
    }

    /**
     * The records of the topics from {@code from} (a partition's position; its beginning when
     * absent, or when it no longer holds that position) up to their ends at the time of the call.
     * A partition that ends before its position is read from its beginning: the records it holds
     * now were written after its log went back, at offsets that were read before.
     */
    public static Read readFrom(String bootstrapServers, List<String> topics, String clientId,
            Map<TopicPartition, Long> from) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers, clientId)) {
            List<TopicPartition> partitions = partitions(consumer, topics);
            consumer.assign(partitions);
            Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            boolean skipped = false;
            for (TopicPartition partition : partitions) {
                long position = from.getOrDefault(partition, 0L);
                boolean wentBack = ends.get(partition) < position;
                skipped |= beginnings.get(partition) > position || wentBack;
                consumer.seek(partition, wentBack ? beginnings.get(partition) : Math.max(beginnings.get(partition),
                        position));
            }
            while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        records.add(record);
                    }
                }
            }
            return new Read(records, Map.copyOf(ends), skipped);
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrapServers, String clientId) {
        return new KafkaConsumer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.CLIENT_ID_CONFIG, clientId)),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, List<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        return partitions;
    }
}
