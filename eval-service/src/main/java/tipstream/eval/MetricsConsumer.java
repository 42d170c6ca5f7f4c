package tipstream.eval;

import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import tipstream.dataset.DeadLetters;
import tipstream.dataset.KafkaSettings;
import tipstream.dataset.PlainName;
import tipstream.dataset.Topics;
import tipstream.v1.MetricEvent;

/**
 * Reads {@code tipstream.metrics} into the {@link MetricStore} (the store is a view of the topic,
 * so it reads every partition itself instead of joining a consumer group) and keeps following it.
 * It starts from the store's snapshot in S3 ({@link MetricSnapshots}) and the positions saved with
 * it, from the topic's beginning when there is none, and saves the snapshot every
 * {@code tipstream.eval.metric-snapshot-every-seconds} and when it stops: a restart reads only what
 * came since, and no event exists only in the topic's retention. A record that is not a valid
 * MetricEvent goes to the dead-letter topic with the reason, and reading goes on.
 */
@ApplicationScoped
public class MetricsConsumer {
    private static final Logger LOG = Logger.getLogger(MetricsConsumer.class);

    private final MetricStore store;
    private final MetricSnapshots snapshots;
    /** The id of the topic the positions are on (the consuming thread's). */
    private String topicId = "";
    private final long snapshotEveryNanos;
    private final String bootstrapServers;
    private final Counter consumed;
    private final Counter deadLettered;
    private final Producer<String, byte[]> deadLetters;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean caughtUp = new AtomicBoolean();
    private final AtomicLong recordsRead = new AtomicLong();
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    /** Bad records dead-lettered by an earlier life: the replay does not send them again. */
    private java.util.Set<String> alreadyDeadLettered = java.util.Set.of();

    public MetricsConsumer(MetricStore store, MetricSnapshots snapshots,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers, MeterRegistry registry,
            Producer<String, byte[]> producer, EvalConfig config) {
        this.store = store;
        this.snapshots = snapshots;
        this.snapshotEveryNanos = TimeUnit.SECONDS.toNanos(config.metricSnapshotEverySeconds());
        this.deadLetters = producer;
        this.bootstrapServers = bootstrapServers;
        this.consumed = registry.counter("tipstream.eval.metric.events");
        this.deadLettered = registry.counter("tipstream.eval.dead.letters", "topic", Topics.METRICS);
    }

    void start(@Observes StartupEvent event) {
        // committed records only: a trainer's metrics count once its checkpoint's transaction commits (WriterFence)
        consumer = new KafkaConsumer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.CLIENT_ID_CONFIG, "eval-metrics",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                // a saved position the topic no longer holds (retention, a recreated topic): what it has
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new ByteArrayDeserializer());
        running.set(true);
        thread = new Thread(this::run, "metrics-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    /** False once the consuming thread has ended on its own while the service runs ({@link ConsumersLivenessCheck}). */
    boolean consuming() {
        return ConsumersLivenessCheck.consuming(thread, !running.get());
    }

    void stop(@Observes ShutdownEvent event) {
        running.set(false);
        if (consumer != null) {
            consumer.wakeup();
        }
        try {
            if (thread != null) {
                thread.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Records read from the topic since this consumer started (a restart from a snapshot reads only what is new). */
    public long recordsRead() {
        return recordsRead.get();
    }

    /** True once everything on the topic at start-up has been read: the store is complete. */
    public boolean caughtUp() {
        return caughtUp.get();
    }

    private void run() {
        // where each partition is read up to: every record before it is in the store (or dead-lettered)
        Map<Integer, Long> positions = new java.util.TreeMap<>();
        try {
            List<TopicPartition> partitions = Topics.partitionsOnceCreated(consumer, Topics.METRICS, running::get);
            alreadyDeadLettered = DeadLetters.positionsIn(bootstrapServers, List.of(Topics.METRICS), "eval-metrics-dlq");
            consumer.assign(partitions);
            topicId = Topics.idOf(bootstrapServers, Topics.METRICS);
            Map<Integer, Long> saved = snapshots.load(store, topicId);
            positions.putAll(saved);
            for (TopicPartition partition : partitions) {
                Long position = saved.get(partition.partition());
                if (position == null) {
                    consumer.seekToBeginning(List.of(partition));
                } else {
                    consumer.seek(partition, position);
                }
            }
            Map<TopicPartition, Long> startupEnd = consumer.endOffsets(partitions);
            long lastSave = System.nanoTime();
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    handle(record);
                    recordsRead.incrementAndGet();
                    positions.put(record.partition(), record.offset() + 1);
                }
                if (System.nanoTime() - lastSave >= snapshotEveryNanos) {
                    save(positions);
                    lastSave = System.nanoTime();
                }
                if (!caughtUp.get() && startupEnd.entrySet().stream()
                        .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    caughtUp.set(true);
                    LOG.infof("metrics replayed: %d runs", store.runs().size());
                }
            }
            save(positions);
        } catch (WakeupException e) {
            save(positions);
        } catch (RuntimeException | java.io.IOException e) {
            LOG.error("metrics consumer stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Saves the store with the positions it holds everything before; an S3 failure waits for the next time. */
    private void save(Map<Integer, Long> positions) {
        try {
            snapshots.save(store, Map.copyOf(positions), topicId);
        } catch (RuntimeException e) {
            LOG.warnf("metric store snapshot not saved this time: %s", e.toString());
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        String reason;
        try {
            MetricEvent event = MetricEvent.parseFrom(record.value() == null ? new byte[0] : record.value());
            Optional<String> badSeries = PlainName.seriesProblem(event.getRun()); // it names event files' keys
            if (event.getRun().isEmpty() || event.getTag().isEmpty()) {
                reason = "metric event without run or tag";
            } else if (badSeries.isPresent()) {
                reason = badSeries.get();
            } else {
                store.add(event);
                consumed.increment();
                return;
            }
        } catch (InvalidProtocolBufferException e) {
            reason = "not a MetricEvent: " + e.getMessage();
        }
        deadLetter(record, reason);
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
        if (alreadyDeadLettered.contains(DeadLetters.position(record))) {
            return;
        }
        try {
            deadLetters.send(DeadLetters.of(record, reason, "eval-service")).get();
            deadLettered.increment();
            LOG.warnf("%s-%d@%d to the dead-letter topic: %s", record.topic(), record.partition(), record.offset(),
                    reason);
        } catch (Exception e) {
            // the store is rebuilt from the topic on restart, so the record is read (and sent) again then
            LOG.errorf(e, "could not dead-letter %s-%d@%d (%s)", record.topic(), record.partition(), record.offset(),
                    reason);
        }
    }
}
