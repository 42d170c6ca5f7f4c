package tipstream.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A child JVM gets the environment it is started with (the services' malloc settings travel this way). */
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
        assertThat(ServiceProcess.environment("eval-service")).containsEntry("OMP_WAIT_POLICY", "PASSIVE");
        assertThat(ServiceProcess.environment("trainer-service")).doesNotContainKey("OMP_WAIT_POLICY");
    }
}
