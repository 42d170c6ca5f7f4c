package tipstream.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Checkpoint announcements that wait for their dataset to have an eval split, kept aside so that
 * the checkpoints behind them (other datasets) are evaluated meanwhile (review R13), and the
 * offset each partition may commit: never past a waiting one, so that a restart reads it again.
 */
final class WaitingCheckpoints {
    private final Map<TopicPartition, TreeMap<Long, ConsumerRecord<String, byte[]>>> waiting = new HashMap<>();
    /** Per partition, the offset after the last record taken (done, dead-lettered or waiting). */
    private final Map<TopicPartition, Long> next = new HashMap<>();

    private static TopicPartition partitionOf(ConsumerRecord<?, ?> record) {
        return new TopicPartition(record.topic(), record.partition());
    }

    /** The record is done with (evaluated or dead-lettered), whether it waited or not. */
    synchronized void done(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = partitionOf(record);
        var inPartition = waiting.get(partition);
        if (inPartition != null) {
            inPartition.remove(record.offset());
        }
        next.merge(partition, record.offset() + 1, Math::max);
    }

    /** The record waits for an eval split. */
    synchronized void park(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = partitionOf(record);
        waiting.computeIfAbsent(partition, p -> new TreeMap<>()).put(record.offset(), record);
        next.merge(partition, record.offset() + 1, Math::max);
    }

    /** The waiting records, oldest first in each partition. */
    synchronized List<ConsumerRecord<String, byte[]>> all() {
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        waiting.values().forEach(inPartition -> all.addAll(inPartition.values()));
        return all;
    }

    /** The offset the partition may commit: its oldest waiting record, else the one after the last taken. */
    synchronized OffsetAndMetadata committable(TopicPartition partition) {
        var inPartition = waiting.get(partition);
        long offset = inPartition != null && !inPartition.isEmpty() ? inPartition.firstKey()
                : next.getOrDefault(partition, 0L);
        return new OffsetAndMetadata(offset);
    }

    /** Partitions given to another consumer: their waiting records are its now. */
    synchronized void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(p -> {
            waiting.remove(p);
            next.remove(p);
        });
    }
}
