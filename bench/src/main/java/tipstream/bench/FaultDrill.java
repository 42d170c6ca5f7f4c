package tipstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.BlobStore;
import tipstream.dataset.LatestVersion;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Shard;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStack;
import tipstream.devstack.LiveHealth;
import tipstream.devstack.LocalPlatform;
import tipstream.devstack.PipelineServices;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.MetricEvent;
import tipstream.v1.ShardEntry;

/**
 * Faults anyone can inject (issue 12, item 5): streams simulated captures, one at a time, into the
 * platform on the embedded stack while it kill -9s ingest mid-upload and augment while it builds
 * versions, and restarts Kafka and S3; then trains a run while it kill -9s the trainer mid-step and eval
 * mid-evaluation; then checks that every sent frame is in the newest dataset version exactly once,
 * that no training step's metrics were published twice, and that every checkpoint was evaluated
 * exactly once.
 * <pre>
 * ./mvnw -q install -DskipTests && bench/run.sh FaultDrill [--captures 40 --frames 10 --steps 300]
 * </pre>
 * Uses the main job's ports: stop {@code ./run.sh} first.
 */
@Command(name = "FaultDrill", mixinStandardHelpOptions = true)
public final class FaultDrill implements Callable<Integer> {
    @Option(names = "--captures", defaultValue = "40")
    int captures;
    @Option(names = "--frames", defaultValue = "10")
    int frames;
    @Option(names = "--steps", defaultValue = "300")
    int steps;
    @Option(names = "--checkpoint-every", defaultValue = "50")
    int checkpointEvery;
    @Option(names = "--augment-replicas", defaultValue = "2",
            description = "augment replicas (one consumer group); the one that publishes versions is the one killed")
    int augmentReplicas;
    @Option(names = "--data", defaultValue = "bench/target/fault-drill")
    Path dataDir;

    private final Map<String, PipelineServices> services = new LinkedHashMap<>();
    private final Map<String, PipelineServices.Service> settings = new HashMap<>();
    private final List<String> faults = new ArrayList<>();
    private DevStack stack;
    private int lives;
    private long stepsRedone;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FaultDrill()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        DataFolder.fresh(dataDir);
        long t0 = System.nanoTime();
        DevStack.Settings stackSettings = DevStack.Settings.standard(dataDir);
        stack = DevStack.start(stackSettings);
        try {
            for (PipelineServices.Service service : LocalPlatform.services()) {
                start(service);
                if (service.name().equals("augment-service")) {
                    for (int r = 2; r <= augmentReplicas; r++) {
                        start(service.replica("augment-service-" + r, LocalPlatform.AUGMENT_PORT + 10 * (r - 1)));
                    }
                }
            }
            Map<String, List<String>> sent = stream(stackSettings);
            DatasetManifest manifest = awaitAll(sent);
            String runId = "drill-" + System.currentTimeMillis();
            train(runId);
            int lost = 0;
            int duplicated = 0;
            Map<String, Long> inVersion = samples(manifest);
            for (var capture : sent.entrySet()) {
                for (String frame : capture.getValue()) {
                    long n = inVersion.getOrDefault(capture.getKey() + "/" + frame, 0L);
                    lost += n == 0 ? 1 : 0;
                    duplicated += n > 1 ? 1 : 0;
                }
            }
            long sentFrames = sent.values().stream().mapToLong(List::size).sum();
            long extra = inVersion.size() - (sentFrames - lost);
            Map<String, Long> events = metricEvents(runId);
            long stepsTwice = events.entrySet().stream()
                    .filter(e -> e.getKey().startsWith(runId + "/train|metrics/loss|") && e.getValue() > 1).count();
            long stepsPublished = events.keySet().stream().filter(k -> k.startsWith(runId + "/train|metrics/loss|")).count();
            List<String> evaluations = new ArrayList<>();
            int checkpointsNotOnce = 0;
            for (long step = 0; step <= steps; step += checkpointEvery) {
                long n = events.getOrDefault(runId + "/eval|eval/frames|" + step, 0L);
                evaluations.add(step + ":" + n);
                checkpointsNotOnce += n == 1 ? 0 : 1;
            }
            System.out.println();
            System.out.println("== fault drill: " + String.join("; ", faults));
            System.out.printf(Locale.ROOT, "frames sent %d, in version %s: %d, lost %d, duplicated %d, unknown %d%n",
                    sentFrames, manifest.getVersion(), inVersion.values().stream().mapToLong(Long::longValue).sum(),
                    lost, duplicated, extra);
            System.out.printf(Locale.ROOT, "training steps with metrics %d of %d, published twice %d, redone after the"
                    + " kill %d%n", stepsPublished, steps, stepsTwice, stepsRedone);
            System.out.printf(Locale.ROOT, "checkpoints evaluated (step:times) %s; not exactly once: %d%n", evaluations,
                    checkpointsNotOnce);
            System.out.printf(Locale.ROOT, "done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            boolean ok = lost == 0 && duplicated == 0 && extra == 0 && stepsTwice == 0 && checkpointsNotOnce == 0
                    && stepsPublished == steps;
            System.out.println(ok ? "PASSED" : "FAILED");
            return ok ? 0 : 1;
        } finally {
            new ArrayList<>(services.values()).forEach(PipelineServices::close);
            stack.close();
        }
    }

    /** Streams the session capture by capture; kill -9 of ingest and augment and a restart of Kafka and S3 on the way. */
    private Map<String, List<String>> stream(DevStack.Settings stackSettings) throws Exception {
        Map<String, List<String>> sent = new LinkedHashMap<>();
        for (int c = 0; c < captures; c++) {
            boolean midUpload = c == captures / 4;
            // the capture that ingest dies in the middle of is long enough (~1 s) to be cut
            SimulatedCapture capture = LabSession.capture(7, c, midUpload ? Math.max(frames, 80) : frames);
            List<RigClient.RigFrame> rigFrames = capture.labelledRigFrames();
            if (midUpload) {
                int before = stack.blobStore().list(ObjectKeys.FRAMES).size();
                CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> upload(rigFrames, 1));
                while (!upload.isDone() && stack.blobStore().list(ObjectKeys.FRAMES).size() < before + 1) {
                    Thread.sleep(5);
                }
                kill("ingest-service", (upload.isDone() ? "after (too late for mid-) upload of " : "mid-upload of ")
                        + capture.captureId());
                try {
                    upload.join();
                } catch (RuntimeException e) {
                    System.out.println("   the interrupted upload failed as it should: " + e.getMessage());
                }
            } else if (c == captures / 2) {
                String augment = augmentPublisher();
                kill(augment, "while captures stream in (it builds a version every 3 s)"
                        + (augmentReplicas > 1 ? ", the replica of " + augmentReplicas + " that publishes" : ""));
            } else if (c == 3 * captures / 4) {
                faults.add("Kafka and S3 restarted");
                System.out.println("-- restarting Kafka and S3");
                stack.close();
                stack = DevStack.start(stackSettings);
            }
            upload(rigFrames, 5); // the rig sends a capture again until it is acknowledged: a repeat is a no-op
            sent.put(capture.captureId(), rigFrames.stream().map(RigClient.RigFrame::frameName).toList());
            System.out.printf(Locale.ROOT, "   sent %s (%d of %d)%n", capture.captureId(), c + 1, captures);
        }
        return sent;
    }

    /** The augment replica that publishes the versions (the one holding partition 0 of the frames). */
    private String augmentPublisher() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (PipelineServices.Service service : settings.values()) {
                if (service.module().equals("augment-service") && LiveHealth.flag(service.port(), "publishes")) {
                    return service.name();
                }
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("no augment replica says it publishes versions");
    }

    private static void upload(List<RigClient.RigFrame> frames, int attempts) {
        try (RigClient rig = new RigClient("127.0.0.1", LocalPlatform.INGEST_PORT, "fault-drill", null)) {
            rig.upload(frames, attempts, n -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Waits until the newest version holds every sent capture. */
    private DatasetManifest awaitAll(Map<String, List<String>> sent) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            BlobStore blobs = stack.blobStore();
            Optional<String> version = LatestVersion.read(blobs::find, LocalPlatform.DATASET);
            if (version.isPresent()) {
                DatasetManifest manifest = ManifestCodec.fromJson(
                        blobs.get(ObjectKeys.manifest(LocalPlatform.DATASET, version.get())));
                if (manifest.getCapturesList().containsAll(sent.keySet())) {
                    return manifest;
                }
            }
            Thread.sleep(2000);
        }
        throw new IllegalStateException("no dataset version holds every sent capture after 10 minutes; see "
                + dataDir.resolve("logs"));
    }

    /** Trains a run; kill -9 of the trainer mid-step and of eval mid-evaluation on the way. */
    private void train(String runId) throws Exception {
        PipelineServices.Service trainer = LocalPlatform.trainer(runId, steps, java.util.Optional.empty(), checkpointEvery, 16);
        start(trainer);
        awaitStep(steps / 3 + checkpointEvery / 2);
        long step = LocalPlatform.trainerStep(-1);
        stepsRedone = step - step / checkpointEvery * checkpointEvery; // it resumes from its last checkpoint
        kill("trainer-service", "mid-step " + step);
        long checkpoint = 2 * steps / 3 / checkpointEvery * checkpointEvery;
        awaitStep(checkpoint + 1);
        Thread.sleep(1500); // the checkpoint just announced is being evaluated
        boolean evaluated = metricEvents(runId).containsKey(runId + "/eval|eval/frames|" + checkpoint);
        kill("eval-service", (evaluated ? "after its evaluation of checkpoint " : "mid-evaluation of checkpoint ")
                + checkpoint);
        try (var watch = new tipstream.devstack.MetricsWatch("127.0.0.1", LocalPlatform.EVAL_PORT, event -> { })) {
            watch.await(runId + "/eval", "eval/frames", steps, Duration.ofMinutes(20),
                    () -> services.values().forEach(PipelineServices::requireAlive));
        }
        Thread.sleep(3000); // anything published twice would be on the topic by now
    }

    private void awaitStep(long step) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        while (LocalPlatform.trainerStep(-1) < step) {
            services.values().forEach(PipelineServices::requireAlive);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the trainer did not reach step " + step);
            }
            Thread.sleep(200);
        }
    }

    private void start(PipelineServices.Service service) throws Exception {
        Path logs = dataDir.resolve("logs").resolve("life-" + ++lives);
        Files.createDirectories(logs);
        settings.put(service.name(), service);
        services.put(service.name(), PipelineServices.start(stack, Path.of(""), logs, List.of(service), Duration.ofMinutes(3)));
    }

    /** kill -9, then the same service started again (a pod restarted by its deployment). */
    private void kill(String name, String when) throws Exception {
        faults.add(name + " killed " + when);
        System.out.println("-- kill -9 " + name + " " + when);
        PipelineServices running = services.remove(name);
        long pid = running.get(name).jvm().pid();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
        running.close();
        start(settings.get(name));
    }

    /** Each sample of the version, by capture/frame, with how often it occurs. */
    private Map<String, Long> samples(DatasetManifest manifest) throws Exception {
        BlobStore blobs = stack.blobStore();
        Map<String, Long> counts = new HashMap<>();
        for (ShardEntry entry : manifest.getShardsList()) {
            for (DatasetSample sample : Shard.read(blobs.get(entry.getKey()))) {
                counts.merge(sample.getCaptureId() + "/" + sample.getFrameName(), 1L, Long::sum);
            }
        }
        return counts;
    }

    /** How often each (run, tag, step) is on the metrics topic, as a read_committed consumer (eval, the trainer's readers) sees it. */
    private Map<String, Long> metricEvents(String runId) {
        Map<String, Long> counts = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.METRICS).stream()
                    .map(p -> new TopicPartition(Topics.METRICS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        MetricEvent event = MetricEvent.parseFrom(record.value());
                        if (event.getRun().startsWith(runId + "/")) {
                            counts.merge(event.getRun() + "|" + event.getTag() + "|" + event.getStep(), 1L, Long::sum);
                        }
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        // not a metric event: not this drill's business
                    }
                }
            }
        }
        return counts;
    }
}
