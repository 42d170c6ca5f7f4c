package tipstream.devstack;

import java.io.IOException;
import java.io.Writer;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real S3 server (s3proxy on its filesystem backend) in a child JVM, listening on 127.0.0.1,
 * objects kept in a directory that survives restarts. The MinIO client talks to it as to MinIO.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final ChildJvm jvm;
    private final String endpoint;

    private EmbeddedS3(ChildJvm jvm, String endpoint) {
        this.jvm = jvm;
        this.endpoint = endpoint;
    }

    public static EmbeddedS3 start(Path dataDir, int port, String accessKey, String secretKey) throws IOException {
        Path objects = dataDir.resolve("s3");
        Files.createDirectories(objects);
        String endpoint = "http://127.0.0.1:" + port;
        Properties p = new Properties();
        p.setProperty("s3proxy.endpoint", endpoint);
        p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        p.setProperty("s3proxy.identity", accessKey);
        p.setProperty("s3proxy.credential", secretKey);
        p.setProperty("jclouds.provider", "filesystem");
        p.setProperty("jclouds.filesystem.basedir", objects.toAbsolutePath().toString());
        p.setProperty("jclouds.identity", accessKey);
        p.setProperty("jclouds.credential", secretKey);
        Path config = dataDir.resolve("s3proxy.properties");
        try (Writer out = Files.newBufferedWriter(config)) {
            p.store(out, "written by tipstream devstack");
        }
        ChildJvm jvm = ChildJvm.start("s3", new DevStackRuntime().s3proxyJar().toString(),
                List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC"), "org.gaul.s3proxy.Main",
                List.of("--properties", config.toString()), Map.of(), dataDir.resolve("logs/s3.log"));
        return new EmbeddedS3(jvm, endpoint);
    }

    public String endpoint() {
        return endpoint;
    }

    public ChildJvm jvm() {
        return jvm;
    }

    /** Waits until the server answers HTTP (any status: an anonymous request is refused with 403). */
    public void awaitReady(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            jvm.requireAlive();
            try {
                HttpURLConnection connection = (HttpURLConnection) URI.create(endpoint + "/").toURL().openConnection();
                connection.setConnectTimeout(1000);
                connection.setReadTimeout(2000);
                int status = connection.getResponseCode();
                connection.disconnect();
                if (status > 0) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("S3 server not ready after " + timeout + " (" + last + "); log tail:\n"
                + jvm.tail(30));
    }

    @Override
    public void close() {
        jvm.close();
    }
}
