package tipstream.eval;

import io.smallrye.config.ConfigMapping;

/** {@code tipstream.eval.*}: how checkpoints are evaluated and results kept. */
@ConfigMapping(prefix = "tipstream.eval")
public interface EvalConfig {
    int batchSize();

    /** How often TensorBoard event files in S3 are brought up to date. */
    int eventFilesEverySeconds();
}
