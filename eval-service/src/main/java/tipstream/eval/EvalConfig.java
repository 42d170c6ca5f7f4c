package tipstream.eval;

import io.smallrye.config.ConfigMapping;

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
}
