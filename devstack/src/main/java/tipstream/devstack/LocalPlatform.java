package tipstream.devstack;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The platform as one machine runs it on the embedded stack: the services' ports and settings,
 * shared by the main job ({@link PipelineRun}) and the {@code tipstream} command.
 */
public final class LocalPlatform {
    public static final int INGEST_PORT = 19180;
    public static final int AUGMENT_PORT = 19181;
    public static final int TRAINER_PORT = 19182;
    public static final int EVAL_PORT = 19183;
    /** The dataset augment builds and the trainer trains on. */
    public static final String DATASET = "lab";
    /**
     * The training batch of the main job, {@code tipstream train} and the benchmarks that train as the trainer
     * does, as trainer-service's own default ({@code tipstream.trainer.batch-size}): 32 at a peak rate of 0.003
     * placed tips better than 16 at 0.002 in the same minutes (BENCHMARKS.md, "Model quality", stop 43).
     */
    public static final int BATCH = 32;

    private LocalPlatform() {
    }

    /** Ingest, augment and eval: what runs all the time. */
    public static List<PipelineServices.Service> services() {
        return List.of(
                new PipelineServices.Service("ingest-service", INGEST_PORT, "512m", Map.of()),
                new PipelineServices.Service("augment-service", AUGMENT_PORT, "1g",
                        // the split salt is picked so that, with the default seed, a handful of captures
                        // still has one held out (the second of 2 to 8): a hash split of a handful is lumpy;
                        // of the default 720 it holds out 179 for eval and 122 for validation. No
                        // augmentations are baked into the shards: the trainer draws fresh ones each epoch.
                        Map.of("tipstream.augment.dataset", DATASET, "tipstream.augment.interval-seconds", "3",
                                "tipstream.augment.split-salt", "tipstream-v2", "tipstream.augment.augmentations", "")),
                new PipelineServices.Service("eval-service", EVAL_PORT, "1g", Map.of()));
    }

    /** The local trainer's current step, from the data of its liveness check; {@code otherwise} while it does not answer. */
    public static long trainerStep(long otherwise) {
        return trainerHealth("step", otherwise);
    }

    /** Where the trainer's run is planned to end (its health's {@code final-step}; 0 before it starts), or {@code otherwise}. */
    public static long trainerFinalStep(long otherwise) {
        return trainerHealth("final-step", otherwise);
    }

    private static long trainerHealth(String key, long otherwise) {
        try {
            return LiveHealth.number(TRAINER_PORT, key).orElse(otherwise);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return otherwise;
        }
    }

    /** A trainer for one run on the current dataset (an existing run id resumes that run). */
    public static PipelineServices.Service trainer(String runId, long steps, Optional<Double> minutes,
            int checkpointEvery, int batchSize) {
        Map<String, String> properties = new TreeMap<>(Map.of("tipstream.trainer.run-id", runId,
                "tipstream.trainer.dataset", DATASET, "tipstream.trainer.max-steps", Long.toString(steps),
                "tipstream.trainer.checkpoint-every", Integer.toString(checkpointEvery),
                "tipstream.trainer.batch-size", Integer.toString(batchSize)));
        minutes.ifPresent(m -> properties.put("tipstream.trainer.max-minutes", String.format(Locale.ROOT, "%.3f", m)));
        return new PipelineServices.Service("trainer-service", TRAINER_PORT, "1500m", properties);
    }
}
