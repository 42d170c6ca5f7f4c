package tipstream.devstack;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tipstream Quarkus service (its built quarkus-run.jar) in a child JVM, configured through
 * system properties under the same names as its application.properties, ready when its
 * readiness endpoint says so (that is, when its Kafka and S3 checks pass).
 */
public final class ServiceProcess implements AutoCloseable {
    /**
     * glibc malloc settings for every service, the same as the Dockerfiles' ENV. ND4J and oneDNN
     * free and re-allocate large native buffers every training step; with glibc's defaults each
     * one goes back to the kernel and is faulted in again (a fifth of the CPU time went to the
     * kernel). One arena that keeps up to 512 MB of freed memory trains about 1.5x faster for
     * 0.5-1 GB more peak memory in the trainer (BENCHMARKS.md); augment's speed is unchanged.
     */
    public static final Map<String, String> MALLOC_ENVIRONMENT = Map.of(
            "MALLOC_ARENA_MAX", "1",
            "MALLOC_MMAP_THRESHOLD_", "1073741824",
            "MALLOC_TRIM_THRESHOLD_", "536870912");

    /**
     * The environment a service runs with, the same as its Dockerfile's ENV: the malloc settings,
     * and for eval-service one OpenMP thread that sleeps rather than spins while it waits. Eval works
     * in bursts beside a trainer on the same cores; two spinning ND4J processes on 2 cores trained
     * at a fifth of their speed alone, and an evaluation took 45 s instead of 7 s (BENCHMARKS.md,
     * "Two ND4J processes on the same 2 cores"). One thread rather than two: in two main jobs the
     * evaluations beside the trainer took 40-81 s a checkpoint (median 68) against 63-94 s (median 78) in
     * three with two threads, and the last one, alone, 8.4-8.5 s against 7.5-10.4 s; the trainer's pace
     * while eval scored did not measurably change (0.95 and 0.82 of its pace without, against 0.84-0.91;
     * BENCHMARKS.md, "The main job", stop 56). The trainer keeps spinning on all cores: alone, it is
     * fastest that way.
     */
    public static Map<String, String> environment(String service) {
        if (!service.equals("eval-service")) {
            return MALLOC_ENVIRONMENT;
        }
        Map<String, String> environment = new java.util.TreeMap<>(MALLOC_ENVIRONMENT);
        environment.put("OMP_WAIT_POLICY", "PASSIVE");
        environment.put("OMP_NUM_THREADS", "1");
        return Map.copyOf(environment);
    }

    /**
     * The CPU priority a service runs at (a nice value): eval-service below the rest. Beside a
     * training step on the same 2 cores an evaluation left the trainer an eighth of its speed for
     * the 10-20 s it took (even with eval's OpenMP threads sleeping), about 12 s of training lost per
     * checkpoint; at a lower priority eval takes what the trainer leaves (BENCHMARKS.md, "Two ND4J
     * processes on the same 2 cores"). At ~285 images/s the trainer still lost about a fifth while eval
     * scored, and nice 19 did no better ("The main job", stop 41): what they share there is more than
     * CPU time.
     */
    public static int niceness(String service) {
        return service.equals("eval-service") ? EVAL_NICENESS : 0;
    }

    static final int EVAL_NICENESS = 10;

    private final ChildJvm jvm;
    private final int httpPort;

    private ServiceProcess(ChildJvm jvm, int httpPort) {
        this.jvm = jvm;
        this.httpPort = httpPort;
    }

    /** The runnable jar that {@code mvn package} builds for a service folder, e.g. "ingest-service". */
    public static Path runJar(Path projectRoot, String service) {
        Path jar = projectRoot.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " missing: build the project first (./mvnw install -DskipTests)");
        }
        return jar;
    }

    public static ServiceProcess start(String name, Path runJar, Map<String, String> config, int httpPort,
            Path logFile, String maxHeap) throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx" + maxHeap, "-XX:+UseSerialGC",
                "-Dquarkus.http.port=" + httpPort, "-Dquarkus.http.host=127.0.0.1"));
        config.forEach((key, value) -> options.add("-D" + key + "=" + value));
        ChildJvm jvm = ChildJvm.start(name, runJar.toString(), options,
                "io.quarkus.bootstrap.runner.QuarkusEntryPoint", List.of(), environment(name), niceness(name), logFile);
        return new ServiceProcess(jvm, httpPort);
    }

    public int port() {
        return httpPort;
    }

    public ChildJvm jvm() {
        return jvm;
    }

    public void awaitReady(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        int status = -1;
        while (Instant.now().isBefore(deadline)) {
            jvm.requireAlive();
            try {
                HttpURLConnection connection = (HttpURLConnection) URI.create(
                        "http://127.0.0.1:" + httpPort + "/q/health/ready").toURL().openConnection();
                connection.setConnectTimeout(1000);
                connection.setReadTimeout(5000);
                status = connection.getResponseCode();
                connection.disconnect();
                if (status == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(jvm.name() + " not ready after " + timeout + " (last status " + status
                + "); log tail:\n" + jvm.tail(30));
    }

    @Override
    public void close() {
        jvm.close();
    }
}
