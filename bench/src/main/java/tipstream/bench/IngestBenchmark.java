package tipstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.RigClient.RigFrame;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.BlobStore;
import tipstream.devstack.DevStack;
import tipstream.devstack.ProcessMemory;
import tipstream.devstack.ServiceProcess;

/**
 * Ingest throughput (gRPC upload into S3 and Kafka, labels included) beside the raw speed of
 * writing the same PNG bytes straight to the S3 server and straight to Kafka, in the same run,
 * on the embedded stack. Each round uses freshly rendered frames, so content addressing never
 * turns a round's S3 writes into no-ops. Also reports simulator render speed and the embedded
 * stack's startup time and memory.
 */
@Command(name = "IngestBenchmark", mixinStandardHelpOptions = true)
public final class IngestBenchmark implements Callable<Integer> {
    @Option(names = "--frames", defaultValue = "200", description = "frames per round")
    int frames;

    @Option(names = "--rounds", defaultValue = "5")
    int rounds;

    @Option(names = "--project-dir", defaultValue = ".")
    Path projectDir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IngestBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("tipstream-bench-");
        double[] render = new double[rounds];
        double[] s3 = new double[rounds];
        double[] s3Parallel = new double[rounds];
        double[] kafka = new double[rounds];
        double[] ingest = new double[rounds];
        long bytesPerRound = 0;
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            System.out.printf(Locale.ROOT, "embedded stack ready in %.1f s; Kafka RSS %d MB, S3 RSS %d MB%n",
                    stack.startupMillis() / 1000.0, mb(ProcessMemory.residentBytes(stack.processes().get(0).pid())),
                    mb(ProcessMemory.residentBytes(stack.processes().get(1).pid())));
            int port = DevStack.freePort();
            try (ServiceProcess service = ServiceProcess.start("ingest-service",
                    ServiceProcess.runJar(projectDir, "ingest-service"), stack.serviceConfig(), port,
                    dir.resolve("logs/ingest-service.log"), "512m");
                    RigClient rig = new RigClient("127.0.0.1", port, "bench", null);
                    KafkaProducer<String, byte[]> producer = producer(stack.kafkaBootstrapServers())) {
                service.awaitReady(Duration.ofMinutes(2));
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
                    admin.createTopics(List.of(new NewTopic("bench.raw", DevStack.PARTITIONS, (short) 1))).all().get();
                }
                BlobStore blobs = stack.blobStore();
                ExecutorService pool = Executors.newFixedThreadPool(4);
                warmUp(rig, blobs, producer);
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    SimulatedCapture capture = LabSession.render(1000 + r, 1, frames).get(0);
                    List<RigFrame> batch = capture.labelledRigFrames();
                    render[r] = seconds(t0);
                    bytesPerRound = batch.stream().mapToLong(f -> f.png().length).sum();

                    t0 = System.nanoTime();
                    for (RigFrame f : batch) {
                        blobs.put("bench/r" + r + "/" + f.frameName(), f.png(), "image/png");
                    }
                    s3[r] = seconds(t0);

                    t0 = System.nanoTime();
                    List<Future<?>> puts = new ArrayList<>();
                    for (RigFrame f : batch) {
                        puts.add(pool.submit(() -> blobs.put("bench/p" + f.frameName(), f.png(), "image/png")));
                    }
                    for (Future<?> put : puts) {
                        put.get();
                    }
                    s3Parallel[r] = seconds(t0);

                    t0 = System.nanoTime();
                    List<Future<RecordMetadata>> sends = new ArrayList<>();
                    for (RigFrame f : batch) {
                        sends.add(producer.send(new ProducerRecord<>("bench.raw", f.captureId(), f.png())));
                    }
                    for (Future<RecordMetadata> send : sends) {
                        send.get();
                    }
                    kafka[r] = seconds(t0);

                    t0 = System.nanoTime();
                    var summary = rig.upload(batch, 1, n -> { });
                    ingest[r] = seconds(t0);
                    if (summary.getAccepted() != batch.size()) {
                        throw new IllegalStateException("ingest accepted " + summary.getAccepted() + " of " + batch.size());
                    }
                    System.out.printf(Locale.ROOT, "round %d: render %.2f s, raw S3 %.2f s (4 threads %.2f s), raw Kafka"
                            + " %.2f s, ingest %.2f s%n", r + 1, render[r], s3[r], s3Parallel[r], kafka[r], ingest[r]);
                }
                pool.shutdown();
                System.out.printf(Locale.ROOT, "ingest-service RSS %d MB (peak %d MB)%n",
                        mb(ProcessMemory.residentBytes(service.jvm().pid())),
                        mb(ProcessMemory.peakResidentBytes(service.jvm().pid())));
            }
        }
        double mbPerRound = bytesPerRound / 1e6;
        System.out.printf(Locale.ROOT, "%n%d frames per round (%.1f MB), %d rounds, medians:%n", frames, mbPerRound, rounds);
        System.out.println("| path | frames/s | MB/s | ingest throughput / this path's |");
        System.out.println("|---|---|---|---|");
        row("simulator render (1 thread)", frames, 0, median(render), median(ingest));
        row("raw S3 put (MinIO client, sequential)", frames, mbPerRound, median(s3), median(ingest));
        row("raw S3 put (MinIO client, 4 threads)", frames, mbPerRound, median(s3Parallel), median(ingest));
        row("raw Kafka produce (idempotent, acks=all)", frames, mbPerRound, median(kafka), median(ingest));
        row("ingest gRPC upload (S3 + Kafka + index)", frames, mbPerRound, median(ingest), median(ingest));
        return 0;
    }

    private void warmUp(RigClient rig, BlobStore blobs, KafkaProducer<String, byte[]> producer) throws Exception {
        SimulatedCapture capture = LabSession.render(999, 1, 20).get(0);
        rig.upload(capture.labelledRigFrames(), 1, n -> { });
        for (RigFrame f : capture.labelledRigFrames()) {
            blobs.put("bench/warm/" + f.frameName(), f.png(), "image/png");
            producer.send(new ProducerRecord<>("bench.raw", f.captureId(), f.png())).get();
        }
    }

    private static void row(String path, int frames, double mb, double seconds, double ingestSeconds) {
        System.out.printf(Locale.ROOT, "| %s | %.0f | %s | %.2f |%n", path, frames / seconds,
                mb > 0 ? String.format(Locale.ROOT, "%.1f", mb / seconds) : "-", seconds / ingestSeconds);
    }

    private static KafkaProducer<String, byte[]> producer(String servers) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20),
                new StringSerializer(), new ByteArraySerializer());
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static long mb(long bytes) {
        return bytes < 0 ? -1 : bytes / (1 << 20);
    }
}
