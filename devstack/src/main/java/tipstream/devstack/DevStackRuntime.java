package tipstream.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;

/** Where the child JVMs find their code, as the build wrote it into devstack-runtime.properties. */
final class DevStackRuntime {
    private final Properties properties = new Properties();

    DevStackRuntime() {
        try (InputStream in = DevStackRuntime.class.getResourceAsStream("/devstack-runtime.properties")) {
            if (in == null) {
                throw new IllegalStateException("devstack-runtime.properties missing: build devstack with Maven");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String kafkaClasspath() {
        return require("kafka.classpath");
    }

    Path s3proxyJar() {
        Path jar = Paths.get(require("s3proxy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3 server jar " + jar + " missing: build devstack with Maven");
        }
        return jar;
    }

    private String require(String key) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            throw new IllegalStateException(key + " not set in devstack-runtime.properties: build devstack with Maven");
        }
        return value;
    }
}
