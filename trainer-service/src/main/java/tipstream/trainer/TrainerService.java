package tipstream.trainer;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.DatasetVersion;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PlainName;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.WriterFence;
import tipstream.model.TipNetConfig;
import tipstream.v1.DatasetManifest;
import tipstream.v1.ShardEntry;

/**
 * The trainer's one job, on its own thread: wait until augment announces the dataset, start (or
 * resume) the configured run, checkpoint the untrained network as step 0 so evaluation has a
 * baseline, and train up to the step limit, moving to each newer dataset version at the next
 * epoch. On shutdown it finishes the current step and writes a checkpoint, so nothing is lost.
 */
@ApplicationScoped
public class TrainerService {
    private static final Logger LOG = Logger.getLogger(TrainerService.class);

    /** What the trainer is doing, for health and /q/metrics. */
    public enum State { STARTING, WAITING_FOR_DATA, PRETRAINING, TRAINING, DONE, FAILED }

    private final TrainerConfig config;
    private final BlobStore blobs;
    private final Producer<String, byte[]> producer;
    private final String bootstrapServers;
    private final AtomicLong step = new AtomicLong();
    private final AtomicLong finalStep = new AtomicLong();
    private volatile State state = State.STARTING;
    private volatile boolean stopping;
    private volatile String failure = "";
    private Thread thread;

    public TrainerService(TrainerConfig config, BlobStore blobs, Producer<String, byte[]> producer,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers, MeterRegistry registry) {
        this.config = config;
        this.blobs = blobs;
        this.producer = producer;
        this.bootstrapServers = bootstrapServers;
        registry.gauge("tipstream.trainer.step", step);
        registry.gauge("tipstream.trainer.final_step", finalStep);
        registry.gauge("tipstream.trainer.state", this, s -> s.state.ordinal());
    }

    void start(@Observes StartupEvent event) {
        thread = new Thread(this::run, "trainer");
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        stopping = true;
        if (thread != null) {
            thread.join(60_000);
        }
    }

    public State state() {
        return state;
    }

    public String failure() {
        return failure;
    }

    public long step() {
        return step.get();
    }

    /** Where the run is planned to end (0 before it starts). */
    public long finalStep() {
        return finalStep.get();
    }

    private void run() {
        try (DatasetAnnouncements announcements = new DatasetAnnouncements(bootstrapServers, config.dataset(), blobs::find,
                producer)) {
            // the run id names the run's objects in S3 and its metric series: a path would reach others'
            PlainName.require("run id", config.runId());
            state = State.WAITING_FOR_DATA;
            LOG.infof("run %s waiting for dataset '%s' to be announced on tipstream.shards", config.runId(),
                    config.dataset());
            Optional<DatasetManifest> dataset = announcements.latest();
            // a first version may hold only eval captures: wait for at least one whole batch
            while (!stopping && (dataset.isEmpty() || trainSamples(dataset.get()) < config.batchSize())) {
                Thread.sleep(500);
                dataset = announcements.latest();
            }
            if (stopping) {
                return;
            }
            train(announcements, dataset.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            state = State.FAILED;
            failure = e.toString();
            LOG.error("training failed", e);
        }
    }

    /** A newer version of another representation this run does not switch to, once logged. */
    private String skippedVersion = "";

    private void train(DatasetAnnouncements announcements, DatasetManifest latest) throws Exception {
        DatasetManifest dataset = startingVersion(TrainingRun.lastDatasetVersion(blobs, config.runId()), latest,
                version -> {
                    Optional<byte[]> json = blobs.find(ObjectKeys.manifest(config.dataset(), version));
                    return json.isEmpty() ? Optional.empty() : Optional.of(ManifestCodec.fromJson(json.get()));
                });
        TrainingRun.Settings settings = settings(dataset, encoder(dataset));
        try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, WriterFence.open(bootstrapServers,
                WriterFence.trainerOf(config.runId())), trainShards(dataset), dataset.getVersion())) {
            step.set(run.step());
            finalStep.set(run.finalStep());
            if (!TrainingRun.hasCheckpoint(blobs, config.runId())) {
                run.checkpoint(); // step 0: the untrained baseline
            } else {
                LOG.infof("run %s resumes at step %d", config.runId(), run.step());
            }
            state = State.TRAINING;
            LOG.infof("run %s trains on dataset %s %s (%d train samples) to step %d%s", config.runId(),
                    config.dataset(), run.datasetVersion(), trainSamples(dataset), run.finalStep(),
                    config.maxMinutes().map(m -> " or for " + m + " minutes, whichever is less").orElse(""));
            ProgressLog progress = new ProgressLog(run, config.batchSize());
            while (!stopping && run.step() < run.finalStep()) {
                Optional<DatasetManifest> newer = announcements.latest()
                        .filter(m -> !m.getVersion().equals(run.datasetVersion()));
                if (newer.isPresent()) {
                    follow(run, newer.get());
                }
                long before = run.step();
                run.trainUntil(before + 1, batch -> { });
                if (run.step() == before) {
                    break; // the loader ran out of epochs
                }
                step.set(run.step());
                finalStep.set(run.finalStep());
                progress.afterStep();
            }
            if (run.step() % config.checkpointEvery() != 0) {
                run.checkpoint(); // the last steps (or the steps before a shutdown) are kept too
            }
            state = run.step() >= run.finalStep() ? State.DONE : state;
            LOG.infof("run %s stopped at step %d (%s)", config.runId(), run.step(), state);
        }
    }

    /** Reads a version's manifest, empty when it is not stored. */
    interface Manifests {
        Optional<DatasetManifest> of(String version) throws Exception;
    }

    /**
     * The version a run starts on: the latest, or for a run that resumes, the version its last
     * checkpoint trained on (review R24). A restart must not move a run onto samples that mean
     * something else (a new MAJOR version) where the running trainer would not ({@link #follow}); a
     * newer version of the same representation joins from the next epoch, as it would have. A
     * resumed run whose version's manifest is gone goes on with the latest of the same MAJOR, and
     * fails with the reason when there is none.
     */
    static DatasetManifest startingVersion(Optional<String> trainedOn, DatasetManifest latest, Manifests manifests)
            throws Exception {
        if (trainedOn.isEmpty() || trainedOn.get().equals(latest.getVersion())) {
            return latest;
        }
        Optional<DatasetManifest> resumed = manifests.of(trainedOn.get());
        if (resumed.isPresent()) {
            return resumed.get();
        }
        if (DatasetVersion.parse(trainedOn.get()).sameRepresentationAs(DatasetVersion.parse(latest.getVersion()))) {
            return latest;
        }
        throw new IllegalStateException("the run trained on dataset version " + trainedOn.get()
                + ", whose manifest is gone, and the latest, " + latest.getVersion()
                + ", means something else (a new major version): start a new run to train on it");
    }

    /**
     * Moves the run to a newer version of its dataset from the next epoch: one with new captures or
     * corrected labels and at least a batch of train samples; a new MAJOR version (samples that mean
     * something else) is only logged, once.
     */
    private void follow(TrainingRun run, DatasetManifest newer) {
        if (!DatasetVersion.parse(newer.getVersion()).sameRepresentationAs(DatasetVersion.parse(run.datasetVersion()))) {
            if (!newer.getVersion().equals(skippedVersion)) {
                skippedVersion = newer.getVersion();
                LOG.warnf("dataset %s %s changes what samples mean (a new major version); run %s stays on %s:"
                        + " start a new run to train on it", config.dataset(), skippedVersion, config.runId(),
                        run.datasetVersion());
            }
        } else if (trainSamples(newer) >= config.batchSize()) {
            run.switchDataset(newer.getVersion(), trainShards(newer));
            LOG.infof("dataset %s %s (%d train samples) joins from the next epoch", config.dataset(),
                    newer.getVersion(), trainSamples(newer));
        }
    }

    /**
     * The encoder a new run starts from: the configured one, or with {@code pretrain-steps} one
     * pretrained now on the dataset's train and validation frames (never eval's), stored in S3.
     */
    private Optional<String> encoder(DatasetManifest dataset) throws Exception {
        if (config.encoder().isPresent() || config.pretrainSteps() <= 0
                || TrainingRun.hasCheckpoint(blobs, config.runId())) {
            return config.encoder();
        }
        state = State.PRETRAINING;
        List<ShardEntry> shards = dataset.getShardsList().stream()
                .filter(s -> s.getSplit().equals(CaptureSplit.TRAIN) || s.getSplit().equals(CaptureSplit.VALIDATION))
                .toList();
        LOG.infof("run %s: pretraining an encoder for %d steps on %d shards", config.runId(), config.pretrainSteps(),
                shards.size());
        return Optional.of(EncoderPretrainer.pretrain(blobs, shards, TipNetConfig.named(config.model()),
                augmentation(), dataset.getFrameWidth(), dataset.getFrameHeight(), config.batchSize(), config.pretrainSteps(),
                new LearningRateSchedule(config.learningRate(), config.minLearningRate(), config.warmupSteps(),
                        config.pretrainSteps()), config.seed(), config.decodeThreads()));
    }

    private Optional<RandomAugmentation> augmentation() {
        return config.randomAugmentation() ? Optional.of(new RandomAugmentation(RandomAugmentation.standard()))
                : Optional.empty();
    }

    /** The run's settings; labels are in the frame size the dataset records. */
    private TrainingRun.Settings settings(DatasetManifest dataset, Optional<String> encoder) {
        LearningRateSchedule schedule = new LearningRateSchedule(config.learningRate(), config.minLearningRate(),
                config.warmupSteps(), config.maxSteps());
        TipNetConfig net = TipNetConfig.named(config.model()).withWeightDecay(config.weightDecay());
        return new TrainingRun.Settings(config.runId(), config.dataset(), net, augmentation(), dataset.getFrameWidth(),
                dataset.getFrameHeight(), config.batchSize(), config.checkpointEvery(), config.seed(), Integer.MAX_VALUE / 2,
                config.prefetchBatches(), config.decodeThreads(), config.frameCacheMb() << 20, schedule,
                new TrainingBudget(config.maxSteps(), config.maxMinutes().map(m -> Duration.ofMillis(Math.round(m * 60_000)))),
                config.accuracyEvery(),
                new TrainingRun.Transfer(encoder, config.freezeUpTo().orElse(""), config.unfreezeAtStep()));
    }

    private static List<ShardEntry> trainShards(DatasetManifest manifest) {
        return manifest.getShardsList().stream().filter(s -> s.getSplit().equals(CaptureSplit.TRAIN)).toList();
    }

    private static long trainSamples(DatasetManifest manifest) {
        return manifest.getShardsList().stream().filter(s -> s.getSplit().equals(CaptureSplit.TRAIN))
                .mapToLong(ShardEntry::getSampleCount).sum();
    }
}
