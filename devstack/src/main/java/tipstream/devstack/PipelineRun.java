package tipstream.devstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
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
import tipstream.dataset.BlobStore;
import tipstream.dataset.Topics;
import tipstream.v1.ImportSummary;
import tipstream.v1.UploadSummary;

/**
 * The one-command run: starts the embedded Kafka and S3 and the services, streams a simulated lab
 * session through ingest like a rig, imports a CVAT export of one capture, and reports what
 * arrived. Ctrl-C stops everything; a second run reuses the stored data.
 */
@Command(name = "run.sh", mixinStandardHelpOptions = true,
        description = "Runs the tipstream pipeline on the embedded stack with a simulated lab session.")
public final class PipelineRun implements Callable<Integer> {
    private static final int INGEST_PORT = 19180;
    /** Held here: JUL keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    @Option(names = "--captures", defaultValue = "5", description = "captures in the lab session (default ${DEFAULT-VALUE})")
    int captures;

    @Option(names = "--frames", defaultValue = "60", description = "frames per capture (default ${DEFAULT-VALUE})")
    int framesPerCapture;

    @Option(names = "--seed", defaultValue = "1", description = "simulator seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--data-dir", defaultValue = ".devstack", description = "where Kafka, S3 and logs keep their data")
    Path dataDir;

    @Option(names = "--project-dir", defaultValue = ".", description = "the project checkout (for the service jars)")
    Path projectDir;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();

    public static void main(String[] args) {
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(new CommandLine(new PipelineRun()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "stop-pipeline"));
        long t0 = System.nanoTime();
        Files.createDirectories(dataDir);

        step("starting embedded Kafka and S3 (data in " + dataDir.toAbsolutePath() + ")");
        DevStack stack = DevStack.start(DevStack.Settings.standard(dataDir));
        running.add(stack);
        say("Kafka at %s, S3 at %s, ready in %.1f s", stack.kafkaBootstrapServers(), stack.s3Endpoint(),
                stack.startupMillis() / 1000.0);

        step("starting ingest-service");
        long ts = System.nanoTime();
        ServiceProcess ingest = ServiceProcess.start("ingest-service",
                ServiceProcess.runJar(projectDir, "ingest-service"), stack.serviceConfig(), INGEST_PORT,
                dataDir.resolve("logs/ingest-service.log"), "512m");
        running.add(0, ingest);
        ingest.awaitReady(Duration.ofMinutes(2));
        say("gRPC and health on 127.0.0.1:%d, ready in %.1f s", INGEST_PORT, (System.nanoTime() - ts) / 1e9);

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
        try (RigClient rig = new RigClient("127.0.0.1", INGEST_PORT, "capture-sim", null)) {
            for (SimulatedCapture capture : session) {
                boolean viaCvat = capture == annotated;
                List<RigFrame> frames = viaCvat ? capture.unlabelledRigFrames() : capture.labelledRigFrames();
                UploadSummary summary;
                try (ProgressBar bar = bar("upload " + capture.captureId(), frames.size())) {
                    summary = rig.upload(frames, 5, bar::stepTo);
                }
                accepted += summary.getAccepted();
                duplicates += summary.getDuplicates();
                rejected += summary.getRejected();
                labels += summary.getLabelsPublished();
                say("%s: %d new, %d already stored, %d rejected, %d labels, %.1f MB, %d/%d frames show the tip",
                        capture.captureId(), summary.getAccepted(), summary.getDuplicates(), summary.getRejected(),
                        summary.getLabelsPublished(), summary.getBytesStored() / 1e6, capture.visibleCount(),
                        capture.frames().size());
                if (viaCvat) {
                    Path export = dataDir.resolve("exports").resolve(capture.captureId());
                    Path xml = capture.writeTo(export);
                    ImportSummary imported = rig.importCvat(xml);
                    labels += imported.getLabelsPublished() + imported.getNoTipLabels();
                    say("CVAT export %s: %d tip labels, %d no-tip labels (frames absent from the export), %d rejected",
                            xml, imported.getLabelsPublished(), imported.getNoTipLabels(), imported.getRejected());
                }
            }
        }

        step("what arrived");
        BlobStore blobs = stack.blobStore();
        var frameObjects = blobs.list("frames/");
        long frameBytes = frameObjects.stream().mapToLong(item -> item.size()).sum();
        Map<String, Long> records = TopicCounts.count(stack.kafkaBootstrapServers(),
                List.of(Topics.FRAMES, Topics.LABELS, Topics.deadLetter(Topics.FRAMES), Topics.deadLetter(Topics.LABELS)));
        say("this run      %d frames new, %d already stored, %d rejected, %d labels published", accepted, duplicates,
                rejected, labels);
        say("S3            %d frames, %.1f MB in bucket '%s' (%s)", frameObjects.size(), frameBytes / 1e6,
                stack.settings().bucket(), stack.s3Endpoint());
        records.forEach((topic, count) -> say("Kafka         %-26s %d records", topic, count));
        say("logs          %s", dataDir.resolve("logs").toAbsolutePath());
        say("done in %.1f s; training and evaluation arrive with augment, trainer and eval (next issue)",
                (System.nanoTime() - t0) / 1e9);
        stopAll();
        return 0;
    }

    private static ProgressBar bar(String task, int total) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250).continuousUpdate().build();
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
}
