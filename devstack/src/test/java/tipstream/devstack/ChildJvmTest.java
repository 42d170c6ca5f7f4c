package tipstream.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A child JVM gets the environment and the CPU priority it is started with (the services' malloc settings travel this way). */
class ChildJvmTest {
    @TempDir
    Path dir;

    /** The child's main class: prints the named environment variables. */
    public static final class PrintEnvironment {
        public static void main(String[] names) {
            for (String name : names) {
                System.out.println(name + "=" + System.getenv(name));
            }
        }
    }

    @Test
    void serviceMallocSettingsReachTheChild() throws Exception {
        String testClasses = Paths.get(PrintEnvironment.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString();
        List<String> names = List.copyOf(ServiceProcess.MALLOC_ENVIRONMENT.keySet());
        Path log = dir.resolve("child.log");
        try (ChildJvm child = ChildJvm.start("env-probe", testClasses, List.of("-Xmx64m"),
                PrintEnvironment.class.getName(), names, ServiceProcess.MALLOC_ENVIRONMENT, log)) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(child.isAlive()).as("child exits after its main returns").isFalse();
        }
        List<String> lines = Files.readAllLines(log);
        ServiceProcess.MALLOC_ENVIRONMENT.forEach((name, value) -> assertThat(lines).contains(name + "=" + value));
    }

    /** The child's main class: prints its nice value, from /proc/self/stat. */
    public static final class PrintNiceness {
        public static void main(String[] args) throws Exception {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // after the command name in parentheses: state is field 3, nice field 19
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            System.out.println("nice=" + fields[19 - 3]);
        }
    }

    @Test
    void evalRunsAtALowerCpuPriorityThanTheTrainer() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")) && Files.isExecutable(Path.of("/usr/bin/nice")),
                "Linux with nice");
        assertThat(ServiceProcess.niceness("eval-service")).isPositive();
        assertThat(ServiceProcess.niceness("trainer-service")).isZero();
        String testClasses = Paths.get(PrintNiceness.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString();
        for (int niceness : List.of(0, ServiceProcess.niceness("eval-service"))) {
            Path log = dir.resolve("nice-" + niceness + ".log");
            try (ChildJvm child = ChildJvm.start("nice-probe", testClasses, List.of("-Xmx64m"),
                    PrintNiceness.class.getName(), List.of(), java.util.Map.of(), niceness, log)) {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (child.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            int own = Integer.parseInt(Files.readString(Path.of("/proc/self/stat")).replaceAll("^.*\\) ", "")
                    .split(" ")[19 - 3]);
            assertThat(Files.readAllLines(log)).as("niceness %d", niceness).contains("nice=" + Math.min(19, own + niceness));
        }
    }

    @Test
    void everyServiceDockerfileSetsTheEnvironmentTheDevStackGivesIt() throws Exception {
        for (String service : List.of("ingest-service", "augment-service", "trainer-service", "eval-service")) {
            java.util.Map<String, String> fromDockerfile = new java.util.TreeMap<>();
            for (String line : Files.readAllLines(Path.of("..", service, "src/main/docker/Dockerfile"))) {
                if (line.startsWith("ENV ")) {
                    for (String pair : line.substring(4).trim().split("\\s+")) {
                        fromDockerfile.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
                    }
                }
            }
            assertThat(fromDockerfile).as(service).isEqualTo(new java.util.TreeMap<>(ServiceProcess.environment(service)));
        }
        assertThat(ServiceProcess.environment("eval-service")).containsEntry("OMP_WAIT_POLICY", "PASSIVE")
                .containsEntry("OMP_NUM_THREADS", "1");
        assertThat(ServiceProcess.environment("trainer-service")).doesNotContainKeys("OMP_NUM_THREADS", "OMP_WAIT_POLICY");
    }
}
