package tipstream.eval;

import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.DatasetVersion;
import tipstream.dataset.DeadLetters;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.KafkaSettings;
import tipstream.dataset.LatestVersion;
import tipstream.dataset.MetricTags;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PlainName;
import tipstream.dataset.Shard;
import tipstream.dataset.Topics;
import tipstream.model.TestTimeViews;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.service.Backoff;
import tipstream.v1.CheckpointReady;
import tipstream.v1.DatasetSample;
import tipstream.v1.MetricEvent;

/**
 * Evaluates every checkpoint announced on {@code tipstream.checkpoints} on the eval split of the
 * dataset's newest version (waiting while it has no eval capture) and publishes the results as metric events of run {@code <run>/eval}. The
 * consumer group's offset is committed only after the events are acknowledged, so a crash means
 * a repeated evaluation (same events, which the metric store takes once), never a lost one.
 * Unusable announcements (undecodable, naming a missing checkpoint or dataset, or whose eval or
 * validation split holds a sample that cannot be scored) go to {@code tipstream.checkpoints.dlq}
 * with the reason; other failures (S3 or Kafka away) are retried.
 */
@ApplicationScoped
public class CheckpointEvaluations {
    private static final Logger LOG = Logger.getLogger(CheckpointEvaluations.class);
    /** How many of an evaluation's worst frames its image shows. */
    private static final int WORST_FRAMES = 12;
    /** How often checkpoints waiting for an eval split look again. */
    private static final long WAITING_RETRY_NANOS = 5_000_000_000L;

    private final BlobStore blobs;
    private final int maxPollIntervalMs;
    /** Where evaluations run, so that the consumer's thread keeps polling meanwhile (review R13). */
    private final ExecutorService evaluator = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "checkpoint-evaluator");
        t.setDaemon(true);
        return t;
    });
    private final Producer<String, byte[]> producer;
    private final BestModel best;
    private final int batchSize;
    private final int views;
    private final EvalSets evalSets;
    private final String bootstrapServers;
    private final Counter deadLettered;
    private final Timer evaluations;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Counter retries;
    /** Pauses between tries of a checkpoint whose evaluation failed: 5 s, doubling up to 5 minutes. */
    private final Backoff backoff = new Backoff(5_000, 300_000);
    private final int retryAttempts;
    /** The checkpoint being tried again, if any. */
    private String retrying;
    private final WaitingCheckpoints waiting = new WaitingCheckpoints();
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public CheckpointEvaluations(BlobStore blobs, Producer<String, byte[]> producer, BestModel best, EvalConfig config,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers, MeterRegistry registry) {
        this.blobs = blobs;
        this.producer = producer;
        this.best = best;
        this.batchSize = config.batchSize();
        // checked here, at start-up: out of range inside an evaluation it would dead-letter every checkpoint
        this.views = TestTimeViews.checked(config.views());
        this.maxPollIntervalMs = config.maxPollIntervalMs();
        this.evalSets = new EvalSets(blobs);
        this.bootstrapServers = bootstrapServers;
        this.deadLettered = registry.counter("tipstream.eval.dead.letters", "topic", Topics.CHECKPOINTS);
        this.evaluations = registry.timer("tipstream.eval.evaluations");
        this.retries = registry.counter("tipstream.eval.evaluation.retries");
        this.retryAttempts = config.retryAttempts();
    }

    void start(@Observes StartupEvent event) {
        consumer = new KafkaConsumer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "eval-service", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1,
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, maxPollIntervalMs,
                ConsumerConfig.CLIENT_ID_CONFIG, "eval-checkpoints",
                // a checkpoint is announced in the transaction that stores it (WriterFence): committed ones only
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new StringDeserializer(), new ByteArrayDeserializer());
        running.set(true);
        thread = new Thread(this::run, "checkpoint-evaluations");
        thread.start();
    }

    /** False once the consuming thread has ended on its own while the service runs ({@link ConsumersLivenessCheck}). */
    boolean consuming() {
        return ConsumersLivenessCheck.consuming(thread, !running.get());
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        running.set(false);
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            thread.join(60_000);
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.CHECKPOINTS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    waiting.forget(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            long lastRetry = System.nanoTime();
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    try {
                        whilePolling(record);
                        waiting.done(record);
                    } catch (WakeupException e) {
                        throw e;
                    } catch (NoEvalSplitYet e) {
                        // set aside: the checkpoints behind it (other datasets) go on meanwhile
                        LOG.infof("%s waits: %s", DeadLetters.position(record), e.getMessage());
                        waiting.park(record);
                    } catch (Exception e) {
                        // S3 or Kafka away: the same checkpoint again after a pause, nothing skipped;
                        // what fails for half an hour is not going to pass (review R13)
                        retries.increment();
                        String position = DeadLetters.position(record);
                        if (!position.equals(retrying)) {
                            backoff.reset();
                            retrying = position;
                        }
                        long pause = backoff.failed();
                        if (backoff.failures() < retryAttempts || !gaveUp(record, e)) {
                            LOG.warnf("evaluating %s failed (%d in a row), retrying in %d s: %s", position,
                                    backoff.failures(), pause / 1000, e);
                            consumer.seek(partition, record.offset());
                            waitPolling(pause);
                            continue;
                        }
                        waiting.done(record);
                    }
                    retrying = null;
                    consumer.commitSync(Map.of(partition, waiting.committable(partition)));
                }
                if (System.nanoTime() - lastRetry > WAITING_RETRY_NANOS) {
                    lastRetry = System.nanoTime();
                    retryWaiting();
                }
            }
        } catch (WakeupException e) {
            // shutting down
        } catch (RuntimeException e) {
            LOG.error("checkpoint evaluations stopped", e);
        } finally {
            evaluator.shutdownNow();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Handles the checkpoint on the evaluator's thread while this one keeps polling with every
     * partition paused (review R13): the group keeps this member however long an evaluation takes,
     * where an evaluation longer than {@code max.poll.interval.ms} used to get it dropped, its
     * commit refused and the same checkpoint evaluated again, forever. Records of partitions
     * assigned meanwhile are put back to be read after it.
     */
    private void whilePolling(ConsumerRecord<String, byte[]> record) throws Exception {
        Future<?> evaluation = evaluator.submit(() -> {
            handle(record);
            return null;
        });
        consumer.pause(consumer.assignment());
        try {
            while (true) {
                try {
                    evaluation.get(200, TimeUnit.MILLISECONDS);
                    return;
                } catch (TimeoutException e) {
                    ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ZERO);
                    for (TopicPartition partition : polled.partitions()) {
                        consumer.seek(partition, polled.records(partition).get(0).offset());
                    }
                    consumer.pause(consumer.assignment());
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            consumer.resume(consumer.assignment());
        }
    }

    /** Sends the checkpoint to the dead-letter topic with its last failure; false when that failed too. */
    private boolean gaveUp(ConsumerRecord<String, byte[]> record, Exception last) {
        try {
            deadLetter(record, "evaluation failed " + backoff.failures() + " times in a row, the last: " + last);
            return true;
        } catch (Exception e) {
            LOG.warnf("%s could not be dead-lettered either: %s", DeadLetters.position(record), e);
            return false;
        }
    }

    /**
     * Lets {@code millis} pass while polling with every partition paused, so the group keeps this
     * member; records of partitions assigned meanwhile are put back to be read after.
     */
    private void waitPolling(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        consumer.pause(consumer.assignment());
        try {
            while (running.get() && System.nanoTime() < end) {
                ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(200));
                for (TopicPartition partition : polled.partitions()) {
                    consumer.seek(partition, polled.records(partition).get(0).offset());
                }
                consumer.pause(consumer.assignment());
            }
        } finally {
            consumer.resume(consumer.assignment());
        }
    }

    /** Evaluates the checkpoints that waited for an eval split, where there is one now. */
    private void retryWaiting() {
        for (ConsumerRecord<String, byte[]> record : waiting.all()) {
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            try {
                whilePolling(record);
                waiting.done(record);
                consumer.commitSync(Map.of(partition, waiting.committable(partition)));
            } catch (NoEvalSplitYet e) {
                // still waiting
            } catch (WakeupException e) {
                throw e;
            } catch (Exception e) {
                LOG.warnf("evaluating %s failed, retrying later: %s", DeadLetters.position(record), e);
            }
        }
    }

    /**
     * The dataset version a checkpoint is scored on: the newest one, so that every checkpoint is
     * measured on all the eval captures there are, while it means what the checkpoint trained on. A
     * new MAJOR version may split the captures anew (some the run trained on could be eval there), so
     * a checkpoint of an older one is scored on the version it trained on (review R22).
     */
    static String scoredOn(String trainedOn, Optional<String> latest) {
        if (latest.isEmpty() || trainedOn.isEmpty()) {
            return latest.orElse(trainedOn);
        }
        return DatasetVersion.parse(latest.get()).sameRepresentationAs(DatasetVersion.parse(trainedOn)) ? latest.get()
                : trainedOn;
    }

    private void handle(ConsumerRecord<String, byte[]> record) throws Exception {
        CheckpointReady checkpoint;
        try {
            checkpoint = CheckpointReady.parseFrom(record.value() == null ? new byte[0] : record.value());
        } catch (InvalidProtocolBufferException e) {
            deadLetter(record, "not a CheckpointReady: " + e.getMessage());
            return;
        }
        // the run id and the dataset go into object keys (event files, worst frames, the dataset's versions)
        Optional<String> unusable = PlainName.problem("run id", checkpoint.getRunId())
                .or(() -> PlainName.problem("dataset", checkpoint.getDataset()))
                .or(() -> ObjectKeys.checkpointArchiveProblem(checkpoint.getCheckpointKey()));
        if (unusable.isPresent()) {
            deadLetter(record, unusable.get());
            return;
        }
        Optional<byte[]> model = blobs.find(checkpoint.getCheckpointKey());
        if (model.isEmpty()) {
            deadLetter(record, "checkpoint " + checkpoint.getCheckpointKey() + " is missing");
            return;
        }
        TipNet net;
        try {
            net = TipNet.forInference(model.get());
        } catch (IllegalArgumentException e) {
            // corrupt or of another shape: no retry would change that, so it must not block the topic
            deadLetter(record, "checkpoint " + checkpoint.getCheckpointKey() + " cannot be evaluated: " + e.getMessage());
            return;
        }
        String version;
        try {
            version = scoredOn(checkpoint.getDatasetVersion(),
                    LatestVersion.read(blobs::find, checkpoint.getDataset()));
        } catch (IllegalArgumentException e) {
            deadLetter(record, "checkpoint " + checkpoint.getCheckpointKey() + ": " + e.getMessage());
            return;
        }
        Optional<EvalSets.EvalSet> samples;
        Optional<EvalSets.EvalSet> validation;
        try {
            samples = evalSets.of(checkpoint.getDataset(), version, CaptureSplit.EVAL);
            validation = evalSets.of(checkpoint.getDataset(), version, CaptureSplit.VALIDATION);
        } catch (Shard.CorruptShardException | InvalidProtocolBufferException e) {
            deadLetter(record, "eval split of " + checkpoint.getDataset() + " " + version + " unreadable: "
                    + e.getMessage());
            return;
        }
        if (samples.isEmpty()) {
            deadLetter(record, "dataset " + checkpoint.getDataset() + " " + version + " has no manifest");
            return;
        }
        if (samples.get().samples().isEmpty()) {
            throw new NoEvalSplitYet(checkpoint.getDataset() + " " + version + " has no eval captures yet");
        }
        long t0 = System.nanoTime();
        // the presence threshold is calibrated on the validation captures, never on eval
        List<DatasetSample> validationSamples = validation.map(EvalSets.EvalSet::samples).orElse(List.of());
        FrameFormat frame = samples.get().frame();
        CheckpointEvaluator evaluator = new CheckpointEvaluator(frame.width(), frame.height(), batchSize, views);
        Optional<CheckpointEvaluator.Scored> validated;
        CheckpointEvaluator.Scored scored;
        try {
            validated = validationSamples.isEmpty() ? Optional.empty()
                    : Optional.of(evaluator.score(net, validationSamples));
            scored = evaluator.score(net, samples.get().samples());
        } catch (IllegalArgumentException | UncheckedIOException e) {
            // a sample that cannot be decoded or encoded (a tip outside its frame): the same every
            // time, so retrying would block every later checkpoint on this partition (review R13)
            deadLetter(record, "checkpoint " + checkpoint.getCheckpointKey() + " cannot be evaluated on "
                    + checkpoint.getDataset() + " " + version + ": " + e.getMessage());
            return;
        }
        double threshold = validated.map(CheckpointEvaluator.Scored::calibratedThreshold)
                .orElse(TipMetrics.PRESENCE_THRESHOLD);
        CheckpointEvaluator.Evaluation evaluation = scored.evaluate(threshold);
        Optional<CheckpointEvaluator.Evaluation> onValidation = validated.map(v -> v.evaluate(threshold));
        long nanos = System.nanoTime() - t0;
        evaluations.record(Duration.ofNanos(nanos));
        // validation first, acknowledged: eval's presence/f1, the last event, tells followers that the
        // whole evaluation is published
        if (onValidation.isPresent()) {
            publish(CheckpointEvaluator.events(checkpoint.getRunId(), "validation", checkpoint.getStep(),
                    onValidation.get(), System.currentTimeMillis()));
        }
        publish(CheckpointEvaluator.events(checkpoint.getRunId(), "eval", checkpoint.getStep(), evaluation,
                System.currentTimeMillis()));
        writeWorstFrames(checkpoint, scored, threshold, frame);
        List<DatasetSample> evalSamples = samples.get().samples();
        boolean isBest = onValidation.isPresent()
                ? best.offer(checkpoint, net, onValidation.get(), new BestModel.Scoring(CaptureSplit.VALIDATION,
                        checkpoint.getDataset() + " " + version, validationSamples.size(), other -> {
                            CheckpointEvaluator.Scored again = evaluator.score(other, validationSamples);
                            return again.evaluate(again.calibratedThreshold());
                        }))
                : best.offer(checkpoint, net, evaluation, new BestModel.Scoring(CaptureSplit.EVAL,
                        checkpoint.getDataset() + " " + version, evalSamples.size(),
                        other -> evaluator.score(other, evalSamples).evaluate(TipMetrics.PRESENCE_THRESHOLD)));
        var m = evaluation.metrics();
        LOG.infof("%s step %d on %d eval frames of %s (presence threshold %.3f from %d validation frames): dist_mean"
                + " %.1f px, point_mean %.3f, prob_mean %.3f, overall_mean %.3f, loss %.4f, ROC AUC %.3f (%.1f s)%s",
                checkpoint.getRunId(), checkpoint.getStep(), samples.get().samples().size(), version, threshold,
                validationSamples.size(), m.distMean(), m.pointMean(), m.probMean(), m.overallMean(), evaluation.loss(),
                evaluation.rocAuc(), nanos / 1e9, isBest ? ", best so far" : "");
    }

    private void publish(List<MetricEvent> events) throws Exception {
        List<Future<?>> sends = new ArrayList<>();
        for (MetricEvent event : events) {
            sends.add(producer.send(new ProducerRecord<>(Topics.METRICS, event.getRun(), event.toByteArray())));
        }
        for (Future<?> send : sends) {
            send.get();
        }
    }

    /**
     * The evaluation's worst eval frames as a TensorBoard image, in its own run
     * ({@code runs/<id>/eval_worst/}, one file per evaluation, so files are only ever added).
     */
    private void writeWorstFrames(CheckpointReady checkpoint, CheckpointEvaluator.Scored scored, double threshold,
            FrameFormat frame) {
        long now = System.currentTimeMillis();
        WorstFrames.sheet(scored, threshold, frame.width(), WORST_FRAMES, 4).ifPresent(sheet -> blobs.put(
                ObjectKeys.worstFrames(checkpoint.getRunId()) + TfEventsFile.fileName(now, String.format(
                        "tipstream.step-%012d", checkpoint.getStep())),
                TfEventsFile.ofImage(MetricTags.WORST_FRAMES, checkpoint.getStep(), sheet, now),
                "application/octet-stream"));
    }

    /** Evaluation must wait until augment has put a capture in the eval split. */
    private static final class NoEvalSplitYet extends Exception {
        NoEvalSplitYet(String message) {
            super(message);
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) throws Exception {
        producer.send(DeadLetters.of(record, reason, "eval-service")).get();
        deadLettered.increment();
        LOG.warnf("%s to the dead-letter topic: %s", DeadLetters.position(record), reason);
    }
}
