package tipstream.augment;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import tipstream.dataset.KafkaSettings;
import tipstream.dataset.Topics;

/**
 * Which captures this augment replica builds, on Kafka's consumer groups (issue 12): the replicas of
 * a dataset are one group subscribed to {@code tipstream.frames} and {@code tipstream.labels}, both
 * keyed by capture id, so a capture's records are in the same partition number of both and the
 * range assignor gives that number of both topics to one replica. A replica builds the captures
 * of its frames partitions and the holder of partition 0 publishes the versions. When a replica
 * joins, leaves or stops answering (a kill: after {@code session.timeout.ms}), Kafka hands its
 * partitions to the others. The group's committed offsets are how far each partition's captures are
 * built, so {@code kafka-consumer-groups.sh --describe} shows augment's backlog.
 *
 * The consumer reads nothing (its partitions are paused as they are assigned): the records
 * themselves every replica reads on its own ({@link tipstream.dataset.TopicSnapshot}), since the
 * publisher needs all captures' labels to know which builds a version waits for.
 */
final class BuildShare implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Set<Integer> assigned = new TreeSet<>();
    private boolean joined;
    private int partitions;

    /** The group of {@code dataset}'s augment replicas. */
    static String groupOf(String dataset) {
        return "tipstream-augment-" + dataset;
    }

    BuildShare(String bootstrapServers, String dataset, Duration sessionTimeout) {
        this.consumer = new KafkaConsumer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, groupOf(dataset),
                ConsumerConfig.CLIENT_ID_CONFIG, "augment-share",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName(),
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis(),
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, sessionTimeout.toMillis() / 4),
                // a pass between two refreshes may build for minutes; the group must not drop a replica for it
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 30 * 60 * 1000)),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.FRAMES, Topics.LABELS), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                revoked.forEach(p -> {
                    if (p.topic().equals(Topics.FRAMES)) {
                        assigned.remove(p.partition());
                    }
                });
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> added) {
                consumer.pause(added); // membership only: the records are read elsewhere
                added.forEach(p -> {
                    if (p.topic().equals(Topics.FRAMES)) {
                        assigned.add(p.partition());
                    }
                });
                joined = true;
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                onPartitionsRevoked(lost);
            }
        });
    }

    /**
     * Answers the group (heartbeats, rebalances) and returns the frames partitions this replica holds
     * now; the first call waits up to {@code joinTimeout} for the replica's first assignment.
     */
    Set<Integer> refresh(Duration joinTimeout) {
        long deadline = System.nanoTime() + joinTimeout.toNanos();
        do {
            consumer.poll(Duration.ofMillis(joined ? 0 : 200));
        } while (!joined && System.nanoTime() < deadline);
        if (partitions == 0) {
            partitions = consumer.partitionsFor(Topics.FRAMES).size();
        }
        return Collections.unmodifiableSet(new TreeSet<>(assigned)); // sorted: read in logs
    }

    /** Whether this replica builds the capture: its records' partition is held here (as the producer's partitioner places a key). */
    boolean builds(String captureId) {
        return assigned.contains(partitionOf(captureId, partitions));
    }

    /** Whether this replica publishes the dataset's versions: it holds partition 0 of the frames. */
    boolean publishes() {
        return assigned.contains(0);
    }

    /** The partition ingest's records of a capture go to, on a topic of {@code partitions} partitions. */
    static int partitionOf(String captureId, int partitions) {
        return BuiltInPartitioner.partitionForKey(captureId.getBytes(StandardCharsets.UTF_8), partitions);
    }

    /**
     * Records that the captures of the partitions held here are built up to these positions (both
     * topics); positions of partitions held elsewhere are left to their holder.
     */
    void commit(Map<TopicPartition, Long> builtUpTo) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        builtUpTo.forEach((partition, offset) -> {
            if (assigned.contains(partition.partition()) && consumer.assignment().contains(partition)) {
                offsets.put(partition, new OffsetAndMetadata(offset));
            }
        });
        if (!offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets);
            } catch (CommitFailedException | RebalanceInProgressException e) {
                // the partitions are moving: their new holder commits once it has built them
            }
        }
    }

    /** Leaves the group at once, so the others take over this replica's partitions. */
    @Override
    public void close() {
        consumer.close();
    }
}
