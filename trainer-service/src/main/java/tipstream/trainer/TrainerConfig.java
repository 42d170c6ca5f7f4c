package tipstream.trainer;

import io.smallrye.config.ConfigMapping;

/** {@code tipstream.trainer.*}: which run to train on which dataset, and how. */
@ConfigMapping(prefix = "tipstream.trainer")
public interface TrainerConfig {
    /** The same id resumes the same run. */
    String runId();

    String dataset();

    /** The network of a new run: {@code heatmap} (default) or {@code grid} (the seed project's). */
    String model();

    /** Whether each training sample is freshly and randomly augmented every epoch (view and look). */
    boolean randomAugmentation();

    long maxSteps();

    int batchSize();

    int checkpointEvery();

    double learningRate();

    double minLearningRate();

    long warmupSteps();

    int accuracyEvery();

    int prefetchBatches();

    int decodeThreads();

    long seed();

    double frameWidth();

    double frameHeight();
}
