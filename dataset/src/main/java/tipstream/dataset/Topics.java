package tipstream.dataset;

import java.util.List;

/** The Kafka topics of DESIGN.md, one constant each. */
public final class Topics {
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

    private Topics() {
    }

    /** The dead-letter topic of a topic: records that could not be processed, with the reason. */
    public static String deadLetter(String topic) {
        return topic + ".dlq";
    }
}
