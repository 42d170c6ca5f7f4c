package tipstream.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
import tipstream.devstack.DevStack;
import tipstream.devstack.LocalPlatform;
import tipstream.devstack.PipelineServices;
import tipstream.devstack.ProcessMemory;
import tipstream.v1.DatasetManifest;
import tipstream.v1.ShardEntry;

/**
 * The data path at the lab's scale (issue 12): streams a session capture by capture into ingest and
 * augment (1 GB heap, as under {@code ./run.sh}) on the embedded stack and measures, as frames
 * accumulate, augment's heap and resident memory, the time from a capture's acknowledged upload to
 * the first version that holds it (p50 and p95 around 1k, 5k and 15k frames), and the S3 bytes each
 * new version adds (new shards and its manifest).
 * <pre>
 * bench/run.sh StreamScaleBenchmark [--captures 300 --frames 50]
 * </pre>
 * Uses the main job's ports: stop {@code ./run.sh} first.
 */
@Command(name = "StreamScaleBenchmark", mixinStandardHelpOptions = true)
public final class StreamScaleBenchmark implements Callable<Integer> {
    @Option(names = "--captures", defaultValue = "300")
    int captures;
    @Option(names = "--frames", defaultValue = "50")
    int frames;
    @Option(names = "--data", defaultValue = "bench/target/stream-scale")
    Path dataDir;

    /** When each capture's upload was acknowledged, and how many frames had been sent by then. */
    private final Map<String, long[]> sentAt = new ConcurrentHashMap<>();
    private final Map<String, Double> latency = new ConcurrentHashMap<>();
    private final List<String> versions = new ArrayList<>();
    private final AtomicLong peakHeap = new AtomicLong();
    private volatile boolean done;

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamScaleBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        DataFolder.fresh(dataDir);
        try (DevStack stack = DevStack.start(DevStack.Settings.standard(dataDir));
                PipelineServices services = PipelineServices.start(stack, Path.of(""), dataDir.resolve("logs"),
                        LocalPlatform.services().stream().filter(s -> !s.name().equals("eval-service")).toList(),
                        Duration.ofMinutes(3))) {
            long augmentPid = services.get("augment-service").jvm().pid();
            Thread watcher = new Thread(() -> watch(stack.blobStore(), augmentPid), "versions");
            watcher.setDaemon(true);
            watcher.start();
            long t0 = System.nanoTime();
            long sent = 0;
            try (RigClient rig = new RigClient("127.0.0.1", LocalPlatform.INGEST_PORT, "scale", null)) {
                for (int c = 0; c < captures; c++) {
                    SimulatedCapture capture = LabSession.capture(11, c, frames);
                    rig.upload(capture.labelledRigFrames(), 5, n -> { });
                    sent += frames;
                    sentAt.put(capture.captureId(), new long[] {System.nanoTime(), sent});
                    if ((c + 1) % 20 == 0) {
                        System.out.printf(Locale.ROOT, "   %d frames sent in %.0f s; %d captures in a version; augment"
                                + " heap peak %.0f MB, RSS %.0f MB%n", sent, (System.nanoTime() - t0) / 1e9,
                                latency.size(), peakHeap.get() / 1e6, ProcessMemory.residentBytes(augmentPid) / 1e6);
                    }
                }
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (latency.size() < captures && System.nanoTime() < deadline) {
                services.requireAlive();
                Thread.sleep(500);
            }
            done = true;
            watcher.join(5000);
            System.out.println();
            System.out.printf(Locale.ROOT, "== %d captures x %d frames streamed in %.0f s; %d in a version%n", captures,
                    frames, (System.nanoTime() - t0) / 1e9, latency.size());
            System.out.printf(Locale.ROOT, "augment (1 GB heap): peak heap used %.0f MB, peak RSS %.0f MB%n",
                    peakHeap.get() / 1e6, ProcessMemory.peakResidentBytes(augmentPid) / 1e6);
            for (long around : new long[] {1000, 5000, 15000}) {
                List<Double> near = new ArrayList<>();
                sentAt.forEach((id, at) -> {
                    if (Math.abs(at[1] - around) <= Math.max(500, around / 10) && latency.containsKey(id)) {
                        near.add(latency.get(id));
                    }
                });
                near.sort(null);
                if (!near.isEmpty()) {
                    System.out.printf(Locale.ROOT, "upload acknowledged -> in a version, captures sent around %d frames"
                            + " (%d): p50 %.1f s, p95 %.1f s%n", around, near.size(), near.get(near.size() / 2),
                            near.get(Math.min(near.size() - 1, (int) Math.ceil(near.size() * 0.95) - 1)));
                }
            }
            versions.forEach(System.out::println);
            return latency.size() == captures ? 0 : 1;
        }
    }

    /** Follows datasets/lab/latest: each new version's new captures (their latency), its new shards' bytes; augment's heap. */
    private void watch(BlobStore blobs, long augmentPid) {
        String seen = "";
        Set<String> shardsBefore = new HashSet<>();
        HttpClient http = HttpClient.newHttpClient();
        while (!done) {
            try {
                peakHeap.accumulateAndGet(heapUsed(http), Math::max);
                Optional<String> latest = LatestVersion.read(blobs::find, LocalPlatform.DATASET);
                if (latest.isPresent()) {
                    String version = latest.get();
                    if (!version.equals(seen)) {
                        long now = System.nanoTime();
                        byte[] json = blobs.get(ObjectKeys.manifest(LocalPlatform.DATASET, version));
                        DatasetManifest manifest = ManifestCodec.fromJson(json);
                        int added = 0;
                        for (String capture : manifest.getCapturesList()) {
                            long[] at = sentAt.get(capture);
                            if (at != null && latency.putIfAbsent(capture, (now - at[0]) / 1e9) == null) {
                                added++;
                            }
                        }
                        Map<String, Long> sizes = new HashMap<>();
                        blobs.list(ObjectKeys.shards(LocalPlatform.DATASET)).forEach(item ->
                                sizes.put(item.objectName(), item.size()));
                        long newBytes = 0;
                        int newShards = 0;
                        for (ShardEntry entry : manifest.getShardsList()) {
                            if (shardsBefore.add(entry.getKey())) {
                                newBytes += sizes.getOrDefault(entry.getKey(), 0L);
                                newShards++;
                            }
                        }
                        versions.add(String.format(Locale.ROOT, "version %-7s %3d captures (%3d new): %3d new shards,"
                                + " %6.1f MB new in S3 (shards %.1f MB, manifest %.1f kB)", version,
                                manifest.getCapturesCount(), added, newShards, (newBytes + json.length) / 1e6,
                                newBytes / 1e6, json.length / 1e3));
                        seen = version;
                    }
                }
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                System.out.println("   (watcher: " + e.getMessage() + ")");
            }
        }
    }

    /** Augment's heap in use now, from its Prometheus metrics. */
    private static long heapUsed(HttpClient http) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + LocalPlatform.AUGMENT_PORT
                + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        double used = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                used += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) used;
    }
}
