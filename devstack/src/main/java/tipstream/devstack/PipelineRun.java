package tipstream.devstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.RigClient.RigFrame;
import tipstream.capturesim.SimulatedCapture;
import tipstream.capturesim.SimulatedFrame;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.LatestVersion;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.MetricTags;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PlainName;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.TopicSnapshot;
import tipstream.dataset.Topics;
import tipstream.v1.DatasetManifest;
import tipstream.v1.ImportSummary;
import tipstream.v1.MetricEvent;
import tipstream.v1.PredictGrpc;
import tipstream.v1.PredictRequest;
import tipstream.v1.PredictResponse;
import tipstream.v1.ShardEntry;
import tipstream.v1.UploadSummary;

/**
 * The one-command run: starts the embedded Kafka and S3 and the four services, streams a simulated
 * lab session through ingest like a rig (one capture labelled through a CVAT export), waits for
 * augment's dataset, follows training and every evaluation over the metrics gRPC subscription, and
 * ends with the seed metrics of the untrained and the trained network. Ctrl-C stops everything; a
 * second run reuses the stored data and trains a new run.
 */
@Command(name = "run.sh", mixinStandardHelpOptions = true,
        description = "Runs the tipstream pipeline on the embedded stack with a simulated lab session.")
public final class PipelineRun implements Callable<Integer> {
    private static final int INGEST_PORT = LocalPlatform.INGEST_PORT;
    private static final int AUGMENT_PORT = LocalPlatform.AUGMENT_PORT;
    private static final int TRAINER_PORT = LocalPlatform.TRAINER_PORT;
    private static final int EVAL_PORT = LocalPlatform.EVAL_PORT;
    /** Captures uploaded at once (ingest stores up to 8 frames of a stream at once; captures here have 4). */
    private static final int CAPTURES_IN_FLIGHT = 4;
    private static final String DATASET = LocalPlatform.DATASET;
    /** Held-out frames the job sends to Predict at its end, to show the model in use. */
    private static final int PREDICTED_FRAMES = 6;
    /** Held here: JUL keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    // Many short captures rather than a few long ones: the model generalises from viewpoints and
    // looks (each capture has its own), not from neighbouring, near-identical frames (BENCHMARKS.md,
    // "Model quality": the same 1,800 frames as 180 captures of 10 instead of 36 of 50 scored 0.450
    // instead of 0.357 after 4 training minutes, and their eval loss kept falling; in this job 480 of 4
    // placed tips better than 240 of 8: dist_mean 7.0 px instead of 12.6). 720 rather than 480: each
    // capture stands in a room of its own and the held-out captures' rooms are unseen, so more training
    // rooms carry further (the benchmark at this scale: eval loss 2.103 with 285 training captures,
    // 2.045 with 480; this job with 720: 0.919-0.926 and 3.9-4.5 px on its 716 eval frames, against
    // 0.901-0.919 and 4.2-6.3 px with 480; BENCHMARKS.md, "The main job").
    @Option(names = "--captures", defaultValue = "720", description = "captures in the lab session (default ${DEFAULT-VALUE})")
    int captures;

    @Option(names = "--frames", defaultValue = "4", description = "frames per capture (default ${DEFAULT-VALUE})")
    int framesPerCapture;

    @Option(names = "--seed", defaultValue = "1", description = "simulator seed (default ${DEFAULT-VALUE})")
    long seed;

    // The job's time rules, not a step count: machines of the same kind trained 75 and 113 images/s,
    // 2400 steps were ~13 minutes of job on the one and ~10 on the other, and the learning curve
    // still rises there (BENCHMARKS.md, "The main job"): the trainer plans the steps that fit.
    @Option(names = "--minutes", defaultValue = "14",
            description = "the job's time, its build included: training takes what the other stages leave, and the"
                    + " trainer plans the steps that fit (0: no limit, --steps alone; default ${DEFAULT-VALUE})")
    double minutes;

    // A ceiling the minutes should reach first: at 527 images/s the job planned 9,800 of the 10,000 it had.
    @Option(names = "--steps", defaultValue = "20000", description = "training steps at most (default ${DEFAULT-VALUE})")
    long steps;

    @Option(names = "--started-at", hidden = true,
            description = "when the job started, in epoch milliseconds (run.sh passes when its build began)")
    Long startedAtMillis;

    // Every 1600 steps of 32 (51,200 images): each evaluation scores ~1,200 frames beside the trainer,
    // which trains about a fifth slower meanwhile; at every 800 an evaluation was running through
    // nearly all of training, at 1600 through about half, and the job trained ~10 % more steps with
    // the same figures (at 12,800 images a checkpoint eval fell five behind; BENCHMARKS.md, "The main job").
    // The trainer finds the refiner's confusers at each checkpoint, so now half as often too.
    @Option(names = "--checkpoint-every", defaultValue = "1600",
            description = "steps between checkpoints, each one evaluated (default ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--batch", defaultValue = "" + LocalPlatform.BATCH,
            description = "training batch size (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--run-id", description = "training run id (default: run-<date>-<time>); an existing id resumes")
    String runId;

    @Option(names = "--data-dir", defaultValue = ".devstack", description = "where Kafka, S3 and logs keep their data")
    Path dataDir;

    @Option(names = "--project-dir", defaultValue = ".", description = "the project checkout (for the service jars)")
    Path projectDir;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();

    public static void main(String[] args) {
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
        PipelineRun run = new PipelineRun();
        System.exit(new CommandLine(run).setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (run.stopped.get()) {
                return 130; // stopped by Ctrl-C: what failed is only the work the stop cut short
            }
            throw e;
        }).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Optional<String> badRunId = runId == null ? Optional.empty() : PlainName.problem("--run-id", runId);
        if (badRunId.isPresent()) { // it names the run's objects in S3 and its metric series
            System.err.println(badRunId.get());
            return 2;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopInterrupted, "stop-pipeline"));
        long t0 = System.nanoTime();
        if (startedAtMillis == null) {
            startedAtMillis = System.currentTimeMillis();
        }
        Files.createDirectories(dataDir);

        step("starting embedded Kafka and S3 (data in " + dataDir.toAbsolutePath() + ")");
        DevStack stack = DevStack.start(DevStack.Settings.standard(dataDir));
        running.add(stack);
        say("Kafka at %s, S3 at %s, ready in %.1f s", stack.kafkaBootstrapServers(), stack.s3Endpoint(),
                stack.startupMillis() / 1000.0);

        if (runId == null) {
            runId = "run-" + java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern(
                    "yyyyMMdd-HHmmss"));
        }
        step("starting ingest, augment and eval services");
        long ts = System.nanoTime();
        PipelineServices services = PipelineServices.start(stack, projectDir, dataDir.resolve("logs"),
                LocalPlatform.services(),
                Duration.ofMinutes(3));
        running.add(0, services);
        say("ready in %.1f s: ingest gRPC :%d, augment :%d, eval gRPC (metrics, predict) :%d",
                (System.nanoTime() - ts) / 1e9, INGEST_PORT, AUGMENT_PORT, EVAL_PORT);
        say("each serves /q/health and /q/metrics; logs in %s", dataDir.resolve("logs").toAbsolutePath());
        MetricsWatch watch = new MetricsWatch("127.0.0.1", EVAL_PORT, event -> onMetric(event));
        running.add(0, watch);

        step("simulating a lab session: " + captures + " captures x " + framesPerCapture + " frames");
        long tr = System.nanoTime();
        List<SimulatedCapture> session = LabSession.render(seed, captures, framesPerCapture);
        say("rendered %d frames in %.1f s", captures * framesPerCapture, (System.nanoTime() - tr) / 1e9);
        // the capture that loses the tip most often is labelled through a CVAT export, like the lab does
        SimulatedCapture annotated = session.stream().min(java.util.Comparator.comparingLong(
                SimulatedCapture::visibleCount)).orElseThrow();
        int accepted = 0;
        int duplicates = 0;
        int rejected = 0;
        int labels = 0;
        int total = session.stream().mapToInt(c -> c.frames().size()).sum();
        // Captures go up a few at a time: ingest stores only a capture's few frames at once, so one
        // short capture after another leaves it waiting on S3 and Kafka round trips.
        ExecutorService uploads = Executors.newFixedThreadPool(CAPTURES_IN_FLIGHT);
        try (RigClient rig = new RigClient("127.0.0.1", INGEST_PORT, "capture-sim", null);
                ProgressBar bar = bar("upload " + captures + " captures", total)) {
            List<Future<Sent>> sent = new ArrayList<>();
            for (SimulatedCapture capture : session) {
                sent.add(uploads.submit(() -> send(rig, capture, capture == annotated, bar)));
            }
            for (Future<Sent> future : sent) {
                Sent s = awaitUpload(future);
                accepted += s.upload().getAccepted();
                duplicates += s.upload().getDuplicates();
                rejected += s.upload().getRejected();
                labels += s.upload().getLabelsPublished();
                if (s.upload().getRejected() > 0) {
                    // one line per capture only where something went wrong: a session has hundreds
                    say("%s: %d new, %d already stored, %d REJECTED (see logs/ingest-service.log)", s.captureId(),
                            s.upload().getAccepted(), s.upload().getDuplicates(), s.upload().getRejected());
                }
                if (s.cvat() != null) {
                    labels += s.cvat().getLabelsPublished() + s.cvat().getNoTipLabels();
                    say("CVAT export %s: %d tip labels, %d no-tip labels (frames listed without a box), %d rejected",
                            s.export(), s.cvat().getLabelsPublished(), s.cvat().getNoTipLabels(), s.cvat().getRejected());
                }
            }
        } finally {
            uploads.shutdownNow();
        }

        step("what arrived");
        BlobStore blobs = stack.blobStore();
        var frameObjects = blobs.list(ObjectKeys.FRAMES);
        long frameBytes = frameObjects.stream().mapToLong(item -> item.size()).sum();
        Map<String, Long> records = TopicCounts.count(stack.kafkaBootstrapServers(),
                List.of(Topics.FRAMES, Topics.LABELS, Topics.deadLetter(Topics.FRAMES), Topics.deadLetter(Topics.LABELS)));
        say("this run      %d frames new, %d already stored, %d rejected, %d labels published", accepted, duplicates,
                rejected, labels);
        say("S3            %d frames, %.1f MB in bucket '%s' (%s)", frameObjects.size(), frameBytes / 1e6,
                stack.settings().bucket(), stack.s3Endpoint());
        records.forEach((topic, count) -> say("Kafka         %-26s %d records", topic, count));

        step("augment: waiting for dataset '" + DATASET + "'");
        DatasetManifest manifest = awaitDataset(stack, services);
        List<SimulatedFrame> shown = heldOutFrames(session, manifest);
        long trainSamples = samples(manifest, CaptureSplit.TRAIN);
        long validationSamples = samples(manifest, CaptureSplit.VALIDATION);
        long evalSamples = samples(manifest, CaptureSplit.EVAL);
        say("version %s: %d shards, %d train samples, %d validation frames (presence threshold, best checkpoint),"
                + " %d eval frames (%s)", manifest.getVersion(), manifest.getShardsCount(), trainSamples,
                validationSamples, evalSamples, manifest.getSplitRule());
        if (evalSamples == 0) {
            throw new IllegalStateException("the split put no capture in eval: use more --captures");
        }

        // The trainer starts once the session is in the dataset, so that every checkpoint, the
        // untrained one included, is evaluated on the same eval frames. (It would also take up
        // captures that arrive later, from its next epoch.)
        Optional<Double> trainMinutes = trainingMinutes();
        step("training run " + runId + ": " + trainMinutes.map(m -> String.format(Locale.ROOT,
                "the steps that fit in %.1f minutes (at most %d)", m, steps)).orElse(steps + " steps") + " of "
                + batchSize + " on CPU, evaluated every " + checkpointEvery + " steps");
        PipelineServices trainer = PipelineServices.start(stack, projectDir, dataDir.resolve("logs"),
                List.of(LocalPlatform.trainer(runId, steps, trainMinutes, checkpointEvery, batchSize)),
                Duration.ofMinutes(3));
        running.add(0, trainer);
        say("trainer-service ready on :%d", TRAINER_PORT);
        String trainRun = runId + "/train";
        String evalRun = runId + "/eval";
        long trained;
        try (ProgressBar bar = bar("train", (int) steps)) {
            trained = watch.awaitLastEvaluation(runId, Duration.ofHours(2), () -> {
                services.requireAlive();
                trainer.requireAlive();
                long end = LocalPlatform.trainerFinalStep(0);
                if (end > 0) {
                    bar.maxHint(end);
                }
                bar.stepTo(LocalPlatform.trainerStep(0));
            });
            bar.maxHint(trained);
            bar.stepTo(trained);
        }

        step("predict: the model eval-service serves, on held-out frames (tipstream predict IMAGE does the same)");
        long served = showPredictions(shown, runId);

        step("result: " + evalRun + " (distances in 528 x 406 frame pixels)");
        // the last step's figures, and those of the checkpoint predict serves (the best on validation) when it is another
        long[] columns = served >= 0 && served != trained ? new long[] {0, trained, served} : new long[] {0, trained};
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-24s %14s %14s", "metric", "untrained (0)",
                "last (" + trained + ")"));
        if (columns.length == 3) {
            header.append(String.format(Locale.ROOT, " %14s", "served (" + served + ")"));
        }
        say("%s", header);
        double framesBefore = value(watch, evalRun, MetricTags.EVAL_FRAMES, 0);
        double framesAfter = value(watch, evalRun, MetricTags.EVAL_FRAMES, trained);
        say("%s", row(watch, evalRun, MetricTags.EVAL_FRAMES, columns, "%14.0f"));
        for (String tag : MetricTags.SEED_METRICS) {
            say("%s", row(watch, evalRun, tag, columns, "%14.3f"));
        }
        for (String tag : List.of(MetricTags.LOSS, MetricTags.PRESENCE_THRESHOLD, MetricTags.ROC_AUC, MetricTags.F1)) {
            say("%s", row(watch, evalRun, tag, columns, "%14.4f"));
        }
        if (framesBefore != framesAfter) {
            say("(the eval set grew between the two: a newer dataset version added eval frames)");
        }
        double imagesPerSecond = median(watch.series(trainRun, "perf/images_per_second"));
        double stepSeconds = watch.series(trainRun, "perf/step_seconds").stream().mapToDouble(MetricEvent::getValue)
                .sum();
        double waitSeconds = watch.series(trainRun, "perf/data_wait_seconds").stream()
                .mapToDouble(MetricEvent::getValue).sum();
        say("training: %.1f images/s (median step), %.2f%% of step time waiting for data", imagesPerSecond,
                100 * waitSeconds / stepSeconds);

        step("peak resident memory per process");
        List<ChildJvm> jvms = new ArrayList<>(stack.processes());
        services.processes().forEach(p -> jvms.add(p.jvm()));
        trainer.processes().forEach(p -> jvms.add(p.jvm()));
        for (ChildJvm jvm : jvms) {
            say("%-16s %5.0f MB", jvm.name(), ProcessMemory.peakResidentBytes(jvm.pid()) / 1e6);
        }
        say("%-16s %5.0f MB", "this launcher", ProcessMemory.peakResidentBytes(ProcessHandle.current().pid()) / 1e6);

        step("where things are");
        say("run files     s3://%s/%s (checkpoints/, train/ and eval/ TensorBoard event files)",
                stack.settings().bucket(), ObjectKeys.run(runId));
        say("dataset       s3://%s/%s", stack.settings().bucket(), ObjectKeys.manifest(DATASET, manifest.getVersion()));
        say("S3 data dir   %s", dataDir.resolve("s3").toAbsolutePath());
        say("logs          %s", dataDir.resolve("logs").toAbsolutePath());
        say("done in %.1f s", (System.nanoTime() - t0) / 1e9);
        stopAll();
        return 0;
    }

    /** The first few frames of the dataset's eval captures: frames the model never trains on. */
    private static List<SimulatedFrame> heldOutFrames(List<SimulatedCapture> session, DatasetManifest manifest) {
        var evalCaptures = manifest.getShardsList().stream().filter(s -> s.getSplit().equals(CaptureSplit.EVAL))
                .map(ShardEntry::getCaptureId).collect(Collectors.toSet());
        return session.stream().filter(c -> evalCaptures.contains(c.captureId())).flatMap(c -> c.frames().stream())
                .limit(PREDICTED_FRAMES).toList();
    }

    /**
     * Frames sent to Predict, each answer beside its label: which checkpoint predict serves (the best
     * on validation, not always the last) and what it says about a frame. Returns the served
     * checkpoint's step when it is one of this run's, else -1.
     */
    private long showPredictions(List<SimulatedFrame> frames, String runId) {
        long served = -1;
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", EVAL_PORT).usePlaintext().build();
        try {
            var predict = PredictGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
            for (int i = 0; i < frames.size(); i++) {
                SimulatedFrame frame = frames.get(i);
                PredictResponse answer = predict.predictTip(PredictRequest.newBuilder()
                        .setPng(ByteString.copyFrom(PngFrameCodec.encode(frame.image()))).build());
                if (i == 0) {
                    say("serving %s step %d, presence threshold %.3f (calibrated on validation)", answer.getRunId(),
                            answer.getCheckpointStep(), answer.getPresenceThreshold());
                    served = answer.getRunId().equals(runId) ? answer.getCheckpointStep() : -1;
                }
                String said = answer.getTipPresent()
                        ? String.format(Locale.ROOT, "tip at (%5.1f, %5.1f)", answer.getTip().getX(), answer.getTip().getY())
                        : "no tip              ";
                String label = !frame.visible() ? "labelled: no tip"
                        : answer.getTipPresent() ? String.format(Locale.ROOT, "labelled (%5.1f, %5.1f): %.1f px off",
                                frame.tipX(), frame.tipY(), Math.hypot(answer.getTip().getX() - frame.tipX(),
                                        answer.getTip().getY() - frame.tipY()))
                        : String.format(Locale.ROOT, "labelled (%5.1f, %5.1f)", frame.tipX(), frame.tipY());
                say("%-32s %s  confidence %.3f   %s", frame.frameName(), said, answer.getConfidence(), label);
            }
        } catch (StatusRuntimeException e) {
            say("predict did not answer: %s (logs/eval-service.log)", e.getStatus());
        } finally {
            channel.shutdownNow();
        }
        return served;
    }

    /** One line per evaluation, as its last tag arrives. */
    private void onMetric(MetricEvent event) {
        if (!event.getRun().equals(runId + "/eval") || !event.getTag().equals(MetricTags.EVALUATION_DONE)) {
            return;
        }
        MetricsWatch watch = (MetricsWatch) running.stream().filter(r -> r instanceof MetricsWatch).findFirst()
                .orElseThrow();
        long step = event.getStep();
        System.out.printf(Locale.ROOT, "%n   eval step %-6d on %.0f frames: dist_mean %6.1f px  point_mean %.3f  "
                + "prob_mean %.3f  overall_mean %.3f  loss %.4f%n", step,
                value(watch, runId + "/eval", MetricTags.EVAL_FRAMES, step),
                value(watch, runId + "/eval", MetricTags.DIST_MEAN, step),
                value(watch, runId + "/eval", MetricTags.POINT_MEAN, step),
                value(watch, runId + "/eval", MetricTags.PROB_MEAN, step),
                value(watch, runId + "/eval", MetricTags.OVERALL_MEAN, step),
                value(watch, runId + "/eval", MetricTags.LOSS, step));
    }


    /**
     * The training minutes the job leaves: its time less what it has taken so far and what the
     * trainer's start and the last evaluation take (about 25 s here: the last evaluation 11 s); none
     * without a job time.
     */
    private Optional<Double> trainingMinutes() {
        if (minutes <= 0) {
            return Optional.empty();
        }
        double taken = (System.currentTimeMillis() - startedAtMillis) / 60_000.0;
        double left = minutes - taken - 0.5;
        if (left < 1) {
            say("the job has taken %.1f of its %.1f minutes: training gets one minute", taken, minutes);
        }
        return Optional.of(Math.max(1, left));
    }

    /** One line of the result table: the tag's value at each step. */
    private static String row(MetricsWatch watch, String run, String tag, long[] steps, String format) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-24s", tag));
        for (long step : steps) {
            line.append(' ').append(String.format(Locale.ROOT, format, value(watch, run, tag, step)));
        }
        return line.toString();
    }

    private static double value(MetricsWatch watch, String run, String tag, long step) {
        return watch.get(run, tag, step).map(MetricEvent::getValue).orElse(Double.NaN);
    }

    private static double median(List<MetricEvent> events) {
        double[] values = events.stream().mapToDouble(MetricEvent::getValue).sorted().toArray();
        return values.length == 0 ? Double.NaN : values[values.length / 2];
    }

    /**
     * Waits until augment has read every frame and label record sent so far (its liveness data
     * says how far it has read), then returns the latest version, which holds them all.
     */
    private static DatasetManifest awaitDataset(DevStack stack, PipelineServices services) throws Exception {
        long sent = TopicSnapshot.ends(stack.kafkaBootstrapServers(), List.of(Topics.FRAMES, Topics.LABELS),
                "pipeline-run").values().stream().mapToLong(Long::longValue).sum();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        long shown = -1;
        while (System.nanoTime() < deadline) {
            services.requireAlive();
            long read = LiveHealth.number(AUGMENT_PORT, "records").orElse(0);
            if (read >= sent) {
                BlobStore blobs = stack.blobStore();
                String version = LatestVersion.read(blobs::find, DATASET).orElseThrow();
                return ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest(DATASET, version)));
            }
            if (read != shown) {
                say("augment has built versions from %d of %d frame and label records; waiting", read, sent);
                shown = read;
            }
            Thread.sleep(1000);
        }
        throw new IllegalStateException("augment did not take up the session within 10 minutes; see "
                + "logs/augment-service.log");
    }

    /** What one capture's upload gave, and its CVAT import where its labels came that way. */
    private record Sent(String captureId, UploadSummary upload, Path export, ImportSummary cvat) {
    }

    /** Uploads one capture: its frames with their labels, or unlabelled and then its CVAT export. */
    private Sent send(RigClient rig, SimulatedCapture capture, boolean viaCvat, ProgressBar bar) throws Exception {
        List<RigFrame> frames = viaCvat ? capture.unlabelledRigFrames() : capture.labelledRigFrames();
        UploadSummary summary = rig.upload(frames, 5, n -> { });
        bar.stepBy(frames.size());
        if (!viaCvat) {
            return new Sent(capture.captureId(), summary, null, null);
        }
        Path xml = capture.writeTo(dataDir.resolve("exports").resolve(capture.captureId()));
        return new Sent(capture.captureId(), summary, xml, rig.importCvat(xml));
    }

    private static Sent awaitUpload(Future<Sent> upload) throws Exception {
        try {
            return upload.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static ProgressBar bar(String task, int total) {
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).continuousUpdate();
        if (System.console() == null) {
            // output to a file or a pipe: a plain line every 10 s, not four redrawn lines a second
            return builder.setConsumer(new DelegatingProgressBarConsumer(System.out::println))
                    .setUpdateIntervalMillis(10_000).build();
        }
        return builder.setUpdateIntervalMillis(250).build();
    }

    /** Ctrl-C (or SIGTERM): services first, so the trainer's last checkpoint still reaches S3. */
    private void stopInterrupted() {
        if (stopped.get()) {
            return;
        }
        System.out.println();
        step("stopping: services first (the trainer writes a last checkpoint), then Kafka and S3");
        stopAll();
        say("stopped; the data stays in %s", dataDir.toAbsolutePath());
        if (runId != null) {
            say("to continue this training run from its last checkpoint: ./run.sh --run-id %s%s", runId,
                    dataDir.equals(Path.of(".devstack")) ? "" : " --data-dir " + dataDir);
        }
    }

    private void stopAll() {
        if (stopped.compareAndSet(false, true)) {
            for (AutoCloseable closeable : running) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    System.err.println("stopping: " + e.getMessage());
                }
            }
        }
    }

    private static void step(String text) {
        System.out.println();
        System.out.println("== " + text);
    }

    private static void say(String format, Object... args) {
        System.out.println("   " + String.format(Locale.ROOT, format, args));
    }

    private static long samples(DatasetManifest manifest, String split) {
        return manifest.getShardsList().stream().filter(e -> e.getSplit().equals(split))
                .mapToLong(ShardEntry::getSampleCount).sum();
    }
}