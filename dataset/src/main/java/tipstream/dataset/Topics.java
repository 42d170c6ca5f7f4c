package tipstream.dataset;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/** The Kafka topics of DESIGN.md, one constant each. */
public final class Topics {
    private static final System.Logger LOG = System.getLogger(Topics.class.getName());
    /** {@code FrameRef}, keyed by capture id. */
    public static final String FRAMES = "tipstream.frames";
    /** {@code TipLabel}, keyed by capture id; revisable. */
    public static final String LABELS = "tipstream.labels";
    /** {@code ShardReady}, keyed by dataset name. */
    public static final String SHARDS = "tipstream.shards";
    /** {@code CheckpointReady}, keyed by run id. */
    public static final String CHECKPOINTS = "tipstream.checkpoints";
    /** {@code MetricEvent}, keyed by run. */
    public static final String METRICS = "tipstream.metrics";

    public static final List<String> ALL = List.of(FRAMES, LABELS, SHARDS, CHECKPOINTS, METRICS);

    /**
     * The settings every topic and its dead-letter topic are created with (devstack,
     * docker-compose.yml, k8s/kafka-topics.yaml; a test holds them to this): records are kept as
     * long as the data lives, because augment, eval and the trainer rebuild their state by reading
     * the topics from the beginning; a broker's default of 7 days would silently drop the oldest
     * captures from every later dataset version (review R1).
     */
    public static final Map<String, String> CONFIG = Map.of("retention.ms", "-1");

    private Topics() {
    }

    /**
     * The topic's partitions, once it exists: a broker that does not create topics on first use
     * (devstack's, most production clusters) knows no partitions until the topics are created, and
     * assigning none would end the consumer. Waits while {@code running}; a consumer woken up
     * meanwhile (closing) ends the wait with a {@link WakeupException}.
     */
    public static List<TopicPartition> partitionsOnceCreated(Consumer<?, ?> consumer, String topic,
            BooleanSupplier running) {
        while (running.getAsBoolean()) {
            var infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            LOG.log(System.Logger.Level.WARNING, "topic {0} not there yet; waiting", topic);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new WakeupException();
    }

    /**
     * The topic's id: a topic deleted and created again under the same name has another, so a
     * position saved for the old one is not taken for the new one's. Empty when the broker cannot say.
     */
    public static String idOf(String bootstrapServers, String topic) {
        try (Admin admin = Admin.create(KafkaSettings.of(bootstrapServers, Map.of()))) {
            return admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(15_000)).allTopicNames()
                    .get().get(topic).topicId().toString();
        } catch (ExecutionException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the id of topic {0} is unknown: {1}", topic, e.toString());
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The dead-letter topic of a topic: records that could not be processed, with the reason. */
    public static String deadLetter(String topic) {
        return topic + ".dlq";
    }
}
