package tipstream.eval;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code tipstream.eval.*}: how checkpoints are evaluated and results kept. */
@ConfigMapping(prefix = "tipstream.eval")
public interface EvalConfig {
    int batchSize();

    /** How often TensorBoard event files in S3 are brought up to date. */
    int eventFilesEverySeconds();

    /**
     * How many live events a Subscribe call may have waiting for its client ({@link MetricSubscription}):
     * one further behind is ended with RESOURCE_EXHAUSTED.
     */
    int subscriberQueue();

    /** How often the metric store's snapshot in S3 ({@link MetricSnapshots}) is brought up to date. */
    int metricSnapshotEverySeconds();

    /**
     * The checkpoint consumer's {@code max.poll.interval.ms}: how long its polling may stall before
     * the group drops it. Evaluations run beside the polling, so it bounds a stall, not an evaluation.
     */
    int maxPollIntervalMs();

    /**
     * How many views of each frame evaluation and predict combine ({@link tipstream.model.TestTimeViews}):
     * 1 is the frame as it is; 5 (the default) scored 0.017 higher overall_mean on average (eight checkpoints)
     * for five times the first stage's inference. Evaluation and predict share it, so a checkpoint's calibrated
     * presence threshold is served with the views it was calibrated on.
     */
    int views();

    /**
     * How many times in a row an evaluation that failed for no reason of its record (S3 or Kafka
     * away, a fault) is tried, after pauses from 5 s doubling up to 5 minutes (12: about half an
     * hour), before its checkpoint goes to the dead-letter topic with the last failure.
     */
    @WithDefault("12")
    int retryAttempts();
}
