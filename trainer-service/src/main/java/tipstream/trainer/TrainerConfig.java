package tipstream.trainer;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** {@code tipstream.trainer.*}: which run to train on which dataset, and how. */
@ConfigMapping(prefix = "tipstream.trainer")
public interface TrainerConfig {
    /** The same id resumes the same run. */
    String runId();

    String dataset();

    /** The network of a new run: {@code heatmap} (default) or {@code grid} (the seed project's). */
    String model();

    /**
     * Decoupled weight decay of a new run's network (each step also takes learning rate x decay x
     * weight off every convolution's weights); 0 by default (BENCHMARKS.md, "Model quality": within
     * the noise at 0.1 and 0.2). A resumed run keeps the shape its checkpoints carry.
     */
    double weightDecay();

    /** Whether each training sample is freshly and randomly augmented every epoch (view and look). */
    boolean randomAugmentation();

    /**
     * S3 key of a pretrained encoder ({@code encoders/<sha256>.zip}) a new run starts from; none by
     * default. With {@link #pretrainSteps()} and no key, a new run pretrains its own first.
     */
    Optional<String> encoder();

    /** Before a new run without an encoder: pretrain one for this many steps (0: none). */
    long pretrainSteps();

    /** The last encoder block kept frozen (stem, stage1, ...); none by default. */
    Optional<String> freezeUpTo();

    /** The step from which frozen blocks train too (0: never). */
    long unfreezeAtStep();

    long maxSteps();

    /**
     * Train for at most this many minutes as well (none by default): the run plans how many of
     * {@link #maxSteps()} fit at its pace, again at every checkpoint, and its schedule ends there
     * ({@link TrainingBudget}).
     */
    Optional<Double> maxMinutes();

    int batchSize();

    int checkpointEvery();

    double learningRate();

    double minLearningRate();

    long warmupSteps();

    int accuracyEvery();

    int prefetchBatches();

    int decodeThreads();

    /** Decoded training frames kept in memory across epochs, in MiB (full-size frames: ~210 KiB each). */
    long frameCacheMb();

    long seed();
}
