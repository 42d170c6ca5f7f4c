package tipstream.devstack;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts the embedded Kafka and S3 for a Quarkus test and hands the service their addresses.
 * Data goes to a fresh directory under target/, so each test run starts empty.
 */
public class DevStackResource implements QuarkusTestResourceLifecycleManager {
    private DevStack stack;

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createDirectories(Path.of("target"));
            stack = DevStack.start(DevStack.Settings.ephemeral(Files.createTempDirectory(dir, "devstack-")));
            return stack.serviceConfig();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the devstack", e);
        }
    }

    @Override
    public void stop() {
        if (stack != null) {
            stack.close();
        }
    }
}
