package tipstream.eval;

import io.smallrye.config.ConfigMapping;

/** {@code tipstream.eval.*}: how checkpoints are evaluated and results kept. */
@ConfigMapping(prefix = "tipstream.eval")
public interface EvalConfig {
    int batchSize();

    /** How often TensorBoard event files in S3 are brought up to date. */
    int eventFilesEverySeconds();

    /**
     * The checkpoint consumer's {@code max.poll.interval.ms}: how long its polling may stall before
     * the group drops it. Evaluations run beside the polling, so it bounds a stall, not an evaluation.
     */
    int maxPollIntervalMs();
}
