package tipstream.trainer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.MetricTags;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.Topics;
import tipstream.dataset.WriterFence;
import tipstream.model.PretrainedEncoder;
import tipstream.model.TipEncoding;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.model.TipPrediction;
import tipstream.v1.CheckpointReady;
import tipstream.v1.MetricEvent;
import tipstream.v1.ShardEntry;

/**
 * One training run: its own id and folder in S3 ({@code runs/<id>/}), trained from dataset shards
 * through the {@link PrefetchingLoader}. Every {@code checkpointEvery} steps it writes the model
 * with its optimiser state and the metric events of the steps since the last checkpoint, then the
 * checkpoint's state (step, epoch, samples into the epoch, dataset version) as the commit marker,
 * inside the Kafka transaction that announces it on {@code tipstream.checkpoints} with those
 * metrics, and marks it announced. A run killed between checkpoints therefore resumes from the last
 * one and re-trains the same batches; one killed (or whose Kafka failed) after a checkpoint was
 * stored but before it was marked announced announces it when it resumes. No step's metrics are
 * lost, and none is published twice to a reader of committed records; one trainer per run
 * ({@link WriterFence}).
 */
public final class TrainingRun implements AutoCloseable {
    /** Beside a checkpoint's .zip and .state: the metrics of its steps, and the mark that it was announced. */
    private static final String METRICS = ".metrics";
    private static final String ANNOUNCED = ".announced";
    /** With a time limit, the run plans its end every this many steps (and at each checkpoint). */
    static final int PLAN_EVERY = 50;
    private static final Logger LOG = Logger.getLogger(TrainingRun.class);

    /** What a run needs to know; the same settings resume the same run. */
    public record Settings(String runId, String dataset, TipNetConfig net,
            Optional<RandomAugmentation> augmentation, double frameWidth, double frameHeight, int batchSize,
            int checkpointEvery, long seed, int epochs, int prefetchBatches, int decodeThreads, long frameCacheBytes,
            LearningRateSchedule learningRate, TrainingBudget budget, int accuracyEvery, Transfer transfer) {
    }

    /**
     * What a run starts from: a pretrained encoder in S3 (its key; a new run copies its weights),
     * the encoder's blocks kept frozen up to and including {@code freezeUpTo} (empty: none), and
     * the step from which they train too (0: never). A resumed run is frozen by the same rule.
     */
    public record Transfer(Optional<String> encoderKey, String freezeUpTo, long unfreezeAtStep) {
        public static final Transfer NONE = new Transfer(Optional.empty(), "", 0);
    }

    private final Settings settings;
    private final BlobStore blobs;
    private final WriterFence fence;
    private final TipEncoding encoding;
    private final TipNet net;
    private final VerifiedShards shardSource;
    private final PrefetchingLoader loader;
    private final List<MetricEvent> pending = new ArrayList<>();
    private long step;
    private int epoch;
    private long samplesIntoEpoch;
    private volatile String datasetVersion;
    private double lastLoss = Double.NaN;
    private double lastLearningRate = Double.NaN;
    /** Where the run ends ({@link TrainingBudget}), its learning-rate schedule with it. */
    private long finalStep;
    /** Training time of earlier lives, and where this life's clock started. */
    private final double earlierSeconds;
    private long lifeStartNanos = -1;
    private long lifeStartStep;
    /** (step, nanoTime) at this life's plans, as far back as the pace is measured over. */
    private final List<long[]> paceMarks = new ArrayList<>();

    private TrainingRun(Settings settings, BlobStore blobs, WriterFence fence, List<ShardEntry> shards,
            String datasetVersion, TipNet net, CheckpointReady resumeFrom) {
        this.settings = settings;
        this.blobs = blobs;
        this.fence = fence;
        this.datasetVersion = datasetVersion;
        this.net = net;
        this.step = resumeFrom.getStep();
        this.epoch = resumeFrom.getEpoch();
        this.samplesIntoEpoch = resumeFrom.getSampleOffset();
        this.earlierSeconds = resumeFrom.getTrainingSeconds();
        this.finalStep = resumedPlan(settings.budget(), resumeFrom);
        this.encoding = net.encoding(settings.frameWidth(), settings.frameHeight());
        Transfer transfer = settings.transfer();
        if (!transfer.freezeUpTo().isEmpty() && (transfer.unfreezeAtStep() == 0 || step < transfer.unfreezeAtStep())) {
            net.freezeUpTo(transfer.freezeUpTo());
        }
        this.shardSource = new VerifiedShards(blobs::get, shards);
        this.loader = new PrefetchingLoader(shardSource, keys(shards), encoding,
                net.refiner().map(refiner -> refiner.encoding(refiner.config().inputWidth(), refiner.config().inputHeight())),
                settings.augmentation(), net.config().inputHeight(),
                net.config().inputWidth(), settings.batchSize(), settings.seed(), settings.prefetchBatches(),
                settings.decodeThreads(), settings.frameCacheBytes(), epoch, samplesIntoEpoch, settings.epochs() - epoch);
    }

    /**
     * Takes the run (fencing any other trainer of it, {@link WriterFence}), then starts it, or resumes
     * it from its newest checkpoint that loads when it has one: then with the network shape the
     * checkpoint carries, which is the run's, whatever is configured now. The run owns the fence from here.
     */
    public static TrainingRun startOrResume(Settings settings, BlobStore blobs, WriterFence fence,
            List<ShardEntry> shards, String datasetVersion) throws Exception {
        try {
            fence.claim();
            return startOrResumeClaimed(settings, blobs, fence, shards, datasetVersion);
        } catch (Exception | Error e) {
            fence.close();
            throw e;
        }
    }

    private static TrainingRun startOrResumeClaimed(Settings settings, BlobStore blobs, WriterFence fence,
            List<ShardEntry> shards, String datasetVersion) throws Exception {
        List<String> states = stateKeys(blobs, settings.runId());
        for (int i = states.size() - 1; i >= 0; i--) {
            Optional<Resumable> last = resumable(blobs, states.get(i));
            if (last.isEmpty()) {
                continue;
            }
            TrainingRun run = new TrainingRun(settings, blobs, fence, shards, datasetVersion, last.get().net(),
                    last.get().state());
            String base = baseKey(settings.runId(), last.get().state().getStep());
            if (!blobs.exists(base + ANNOUNCED)) {
                // the last life stored it but died (or Kafka failed) before it was announced
                run.announce(last.get().state(), readMetrics(blobs.find(base + METRICS)));
            }
            return run;
        }
        if (!states.isEmpty()) {
            // starting over would write new checkpoints among the old ones' steps
            throw new IllegalStateException("run " + settings.runId() + " has " + states.size()
                    + " checkpoints and none of them loads (see the warnings above); start a new run id");
        }
        TipNet net = TipNet.build(settings.net());
        if (settings.transfer().encoderKey().isPresent()) {
            net.loadEncoder(PretrainedEncoder.fromBytes(blobs.get(settings.transfer().encoderKey().get())));
        }
        return new TrainingRun(settings, blobs, fence, shards, datasetVersion, net,
                CheckpointReady.getDefaultInstance());
    }

    /** Whether the run has stored a checkpoint (one it could resume from or not). */
    public static boolean hasCheckpoint(BlobStore blobs, String runId) {
        return !stateKeys(blobs, runId).isEmpty();
    }

    /** The dataset version the run's newest checkpoint trained on (whether it loads or not); empty for a new run. */
    public static Optional<String> lastDatasetVersion(BlobStore blobs, String runId) {
        List<String> states = stateKeys(blobs, runId);
        for (int i = states.size() - 1; i >= 0; i--) {
            Optional<CheckpointReady> state = blobs.find(states.get(i)).flatMap(TrainingRun::parseState);
            if (state.isPresent()) {
                return Optional.of(state.get().getDatasetVersion());
            }
        }
        return Optional.empty();
    }

    /** The state of the run's newest checkpoint. */
    static Optional<CheckpointReady> lastCheckpoint(BlobStore blobs, String runId) throws Exception {
        List<String> states = stateKeys(blobs, runId);
        return states.isEmpty() ? Optional.empty()
                : Optional.of(CheckpointReady.parseFrom(blobs.get(states.get(states.size() - 1))));
    }

    /** The keys of a run's checkpoint states (each stored last, after its network), oldest first. */
    private static List<String> stateKeys(BlobStore blobs, String runId) {
        return blobs.list(ObjectKeys.checkpoints(runId)).stream().map(item -> item.objectName())
                .filter(name -> name.endsWith(".state")).sorted().toList();
    }

    /** A checkpoint a run can resume from: its state and its network. */
    private record Resumable(CheckpointReady state, TipNet net) {
    }

    /**
     * The checkpoint of this state, if its network is there and loads. A state whose network went
     * later (a bucket's lifecycle rule, a restore that missed it) or does not load is passed over for
     * the one before it, where every restart would fail on it again (review R11). S3 itself failing
     * is not passed over: the resume fails, as it must not go back over a checkpoint it cannot read.
     */
    private static Optional<Resumable> resumable(BlobStore blobs, String stateKey) {
        Optional<CheckpointReady> state = blobs.find(stateKey).flatMap(TrainingRun::parseState);
        Optional<byte[]> network = state.flatMap(ready -> blobs.find(ready.getCheckpointKey()));
        String problem = state.isEmpty() ? "its state is missing or does not parse"
                : network.isEmpty() ? "its network " + state.get().getCheckpointKey() + " is missing" : null;
        if (problem == null) {
            try {
                return Optional.of(new Resumable(state.get(), TipNet.fromBytes(network.get())));
            } catch (IllegalArgumentException e) {
                problem = "its network " + state.get().getCheckpointKey() + " does not load: " + e.getMessage();
            }
        }
        LOG.warnf("checkpoint %s cannot be resumed from (%s); the one before it is tried", stateKey, problem);
        return Optional.empty();
    }

    private static Optional<CheckpointReady> parseState(byte[] bytes) {
        try {
            return Optional.of(CheckpointReady.parseFrom(bytes));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    public long step() {
        return step;
    }

    /**
     * Where a run ends until it plans again: a new run, or one without a time limit, at the budget's
     * steps; a resumed one where its last plan said, or where it is if its time is spent (a time
     * limit raised since lets it plan anew).
     */
    private static long resumedPlan(TrainingBudget budget, CheckpointReady resumeFrom) {
        if (budget.timeLimit().isEmpty() || resumeFrom.getFinalStep() == 0) {
            return budget.maxSteps();
        }
        if (resumeFrom.getTrainingSeconds() >= budget.timeLimit().get().toMillis() / 1e3) {
            return resumeFrom.getStep();
        }
        return resumeFrom.getFinalStep() > resumeFrom.getStep() ? Math.min(budget.maxSteps(), resumeFrom.getFinalStep())
                : budget.maxSteps();
    }

    /** The step the run ends at: its budget's steps, or with a time limit those planned to fit in it. */
    public long finalStep() {
        return finalStep;
    }

    /** This run's training time so far, over all its lives, in seconds (what its time limit counts). */
    public double trainedSeconds() {
        return earlierSeconds + (lifeStartNanos < 0 ? 0 : (System.nanoTime() - lifeStartNanos) / 1e9);
    }

    public TipNet net() {
        return net;
    }

    /** Time the training step has spent waiting for data so far, in seconds. */
    public double dataWaitSeconds() {
        return loader.waitNanos() / 1e9;
    }

    /** The loss and learning rate of the last step trained. */
    public double lastLoss() {
        return lastLoss;
    }

    public double lastLearningRate() {
        return lastLearningRate;
    }

    public String datasetVersion() {
        return datasetVersion;
    }

    /** Trains on a newer dataset version (all its train shards) from the next epoch on. */
    public void switchDataset(String version, List<ShardEntry> trainShards) {
        shardSource.expect(trainShards);
        loader.replaceShards(keys(trainShards));
        datasetVersion = version;
    }

    private static List<String> keys(List<ShardEntry> shards) {
        return shards.stream().map(ShardEntry::getKey).toList();
    }

    /**
     * Trains until {@code lastStep} or the end of the epochs; {@code onBatch} sees each batch
     * (for progress output). Returns the step reached.
     */
    public long trainUntil(long lastStep, Consumer<TrainingBatch> onBatch) throws Exception {
        if (lifeStartNanos < 0) {
            lifeStartNanos = System.nanoTime();
            lifeStartStep = step;
            paceMarks.add(new long[] {step, lifeStartNanos});
        }
        while (step < lastStep) {
            long waitBefore = loader.waitNanos();
            long t0 = System.nanoTime();
            TrainingBatch batch = loader.next();
            if (batch == null) {
                break;
            }
            long unfreezeAt = settings.transfer().unfreezeAtStep();
            if (!net.frozenLayers().isEmpty() && unfreezeAt > 0 && step >= unfreezeAt) {
                net.unfreeze(); // the encoder trains too from step unfreezeAt + 1 on
            }
            double learningRate = settings.learningRate().endingAt(finalStep).at(step + 1);
            net.setLearningRate(learningRate);
            double loss = net.fit(batch.input(), batch.labels());
            double refinerLoss = net.refiner().map(refiner -> refiner.fit(batch.crops().input(), batch.crops().labels()))
                    .orElse(Double.NaN);
            double stepSeconds = (System.nanoTime() - t0) / 1e9;
            lastLoss = loss;
            lastLearningRate = learningRate;
            step++;
            epoch = batch.epoch();
            samplesIntoEpoch = batch.samplesIntoEpoch();
            String run = settings.runId() + "/train";
            long now = System.currentTimeMillis();
            pending.add(metric(run, MetricTags.LOSS, loss, now));
            if (!Double.isNaN(refinerLoss)) {
                pending.add(metric(run, MetricTags.REFINER_LOSS, refinerLoss, now));
            }
            pending.add(metric(run, MetricTags.LEARNING_RATE, learningRate, now));
            pending.add(metric(run, "perf/step_seconds", stepSeconds, now));
            pending.add(metric(run, "perf/data_wait_seconds", (loader.waitNanos() - waitBefore) / 1e9, now));
            pending.add(metric(run, "perf/images_per_second", batch.samples().size() / stepSeconds, now));
            if (step % settings.accuracyEvery() == 0) {
                pending.addAll(batchAccuracy(run, batch, now));
            }
            onBatch.accept(batch);
            if ((step - lifeStartStep) % PLAN_EVERY == 0) {
                plan();
            }
            if (step % settings.checkpointEvery() == 0) {
                checkpoint();
                if (step < finalStep) { // none to draw crops for after the last step
                    findConfusers();
                }
            }
        }
        return step;
    }

    /**
     * The seed metrics on the batch just trained on (after the step, in inference mode): a cheap,
     * optimistic view of fit; the eval split is the honest one.
     */
    private List<MetricEvent> batchAccuracy(String run, TrainingBatch batch, long now) {
        List<TipPrediction> predictions = net.predict(batch.input(), encoding);
        TipMetrics metrics = new TipMetrics();
        for (int i = 0; i < predictions.size(); i++) {
            TrainingBatch.Truth t = batch.truths().get(i);
            metrics.add(t.visible(), t.x(), t.y(), predictions.get(i));
        }
        return List.of(metric(run, MetricTags.DIST_MEAN, metrics.distMean(), now),
                metric(run, MetricTags.POINT_MEAN, metrics.pointMean(), now),
                metric(run, MetricTags.PROB_MEAN, metrics.probMean(), now),
                metric(run, MetricTags.OVERALL_MEAN, metrics.overallMean(), now));
    }

    /**
     * With a refining stage, hands the loader the first stage's confusers on the training frames it
     * keeps, as the first stage is now ({@link Confusers}). A resumed run finds them again at its first
     * checkpoint (until then its crops away from the tip are random near misses, where the run it
     * resumes had the last confusers).
     */
    private void findConfusers() {
        if (net.refiner().isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        List<PrefetchingLoader.Kept> kept = loader.kept();
        loader.confusers(Confusers.find(net, encoding, net.refiner().get().config().inputWidth(), kept));
        LOG.infof("run %s: the first stage's confusers on %d training frames in %.1f s", settings.runId(), kept.size(),
                (System.nanoTime() - t0) / 1e9);
    }

    private MetricEvent metric(String run, String tag, double value, long now) {
        return MetricEvent.newBuilder().setRun(run).setTag(tag).setStep(step).setValue(value).setWallTimeMs(now).build();
    }

    /**
     * Writes a checkpoint at the current step inside the transaction that announces it
     * ({@link WriterFence}): its announcement and the metrics of the steps since the last one are
     * sent first (a trainer another one has fenced stops there, having written nothing), then the
     * network, those metrics and the state (the commit marker a resume looks for) are stored, then
     * the transaction commits, and the checkpoint is marked announced. A run resumed from a
     * checkpoint that was stored but never marked announced announces it then (review R11): at
     * least once, and once when nothing fails.
     */
    public CheckpointReady checkpoint() throws Exception {
        plan();
        String base = baseKey(settings.runId(), step);
        long now = System.currentTimeMillis();
        pending.add(metric(settings.runId() + "/train", MetricTags.FINAL_STEP, finalStep, now));
        CheckpointReady ready = CheckpointReady.newBuilder().setRunId(settings.runId()).setStep(step)
                .setCheckpointKey(base + ".zip").setDataset(settings.dataset())
                .setDatasetVersion(datasetVersion).setEpoch(epoch).setSampleOffset(samplesIntoEpoch)
                .setFinalStep(finalStep).setTrainingSeconds(trainedSeconds()).setCreatedAtMs(now).build();
        List<MetricEvent> metrics = List.copyOf(pending);
        byte[] model = net.toBytes();
        fence.publish("run " + settings.runId(), announcement(ready, metrics), () -> {
            blobs.put(base + ".zip", model, "application/zip");
            blobs.put(base + METRICS, writeMetrics(metrics), "application/octet-stream");
            blobs.put(base + ".state", ready.toByteArray(), "application/x-protobuf");
        });
        pending.clear();
        markAnnounced(ready);
        return ready;
    }

    /**
     * With a time limit, plans the run's last step from its pace over the last checkpoint interval
     * (one checkpoint and the evaluation beside training in each, as to the end; not the slow
     * first steps of a life once it is past them); the plan of a run at its last step stays.
     */
    private void plan() {
        if (settings.budget().timeLimit().isEmpty() || lifeStartNanos < 0 || step >= finalStep || step == lifeStartStep) {
            return;
        }
        long now = System.nanoTime();
        paceMarks.add(new long[] {step, now});
        // the oldest mark kept is the latest one at least a checkpoint interval back
        while (paceMarks.size() > 2 && step - paceMarks.get(1)[0] >= settings.checkpointEvery()) {
            paceMarks.remove(0);
        }
        long[] from = paceMarks.get(0);
        double secondsPerStep = (now - from[1]) / 1e9 / (step - from[0]);
        long planned = settings.budget().finalStep(step, trainedSeconds(), secondsPerStep);
        if (Math.abs(planned - finalStep) > finalStep / 20) {
            LOG.infof("run %s: %.0f s of %s trained at step %d; the run now ends at step %d (was %d)",
                    settings.runId(), trainedSeconds(), settings.budget().timeLimit().get(), step, planned, finalStep);
        }
        finalStep = planned;
    }

    /** Announces a checkpoint an earlier life stored but did not mark announced. */
    private void announce(CheckpointReady ready, List<MetricEvent> metrics) throws Exception {
        fence.publish("run " + settings.runId(), announcement(ready, metrics), () -> { });
        markAnnounced(ready);
    }

    /** The checkpoint's announcement, then its metrics. */
    private List<ProducerRecord<String, byte[]>> announcement(CheckpointReady ready, List<MetricEvent> metrics) {
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        records.add(new ProducerRecord<>(Topics.CHECKPOINTS, settings.runId(), ready.toByteArray()));
        for (MetricEvent event : metrics) {
            records.add(new ProducerRecord<>(Topics.METRICS, event.getRun(), event.toByteArray()));
        }
        return records;
    }

    private void markAnnounced(CheckpointReady ready) throws Exception {
        blobs.put(baseKey(settings.runId(), ready.getStep()) + ANNOUNCED, new byte[0], "application/octet-stream");
    }

    private static String baseKey(String runId, long step) {
        return ObjectKeys.checkpoint(runId, step);
    }

    private static byte[] writeMetrics(List<MetricEvent> events) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (MetricEvent event : events) {
            event.writeDelimitedTo(out);
        }
        return out.toByteArray();
    }

    private static List<MetricEvent> readMetrics(Optional<byte[]> bytes) throws IOException {
        List<MetricEvent> events = new ArrayList<>();
        if (bytes.isPresent()) {
            ByteArrayInputStream in = new ByteArrayInputStream(bytes.get());
            for (MetricEvent e = MetricEvent.parseDelimitedFrom(in); e != null; e = MetricEvent.parseDelimitedFrom(in)) {
                events.add(e);
            }
        }
        return events;
    }

    /** Stops the loader and closes the fence; metrics since the last checkpoint are dropped with the steps they belong to. */
    @Override
    public void close() {
        loader.close();
        fence.close();
    }
}
