package tipstream.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tipstream.dataset.BlobStore;
import tipstream.dataset.Topics;

/**
 * The embedded default: a real Kafka broker and a real S3 server on 127.0.0.1, started without
 * Docker, with every topic of DESIGN.md (and its dead-letter topic) and the bucket created.
 * The tests (through {@link DevStackResource}) and the one-command run use this same class.
 */
public final class DevStack implements AutoCloseable {
    /** Where {@link #freePort()} looks: 20000-32767. */
    static final int FREE_PORTS_FROM = 20000;
    static final int FREE_PORTS_COUNT = 12768;
    public static final int PARTITIONS = 3;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** Every port {@link #freePort()} has handed out in this JVM: never handed out twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final Settings settings;
    private final EmbeddedKafka kafka;
    private final EmbeddedS3 s3;
    private final long startupMillis;

    /** Where the stack keeps its data and listens; credentials are the S3 server's own. */
    public record Settings(Path dataDir, int kafkaPort, int kafkaControllerPort, int s3Port, String s3AccessKey,
            String s3SecretKey, String bucket) {

        /** Fixed ports for the one-command run, chosen clear of the usual 9000/9092. */
        public static Settings standard(Path dataDir) {
            return new Settings(dataDir, 19092, 19093, 19000, "tipstream", "tipstream-dev-secret", "tipstream");
        }

        /**
         * The configuration every service reads to reach a stack started with these settings on
         * this machine, under the names of application.properties.
         */
        public Map<String, String> serviceConfig() {
            Map<String, String> config = new LinkedHashMap<>();
            config.put("kafka.bootstrap.servers", "127.0.0.1:" + kafkaPort);
            config.put("tipstream.s3.endpoint", "http://127.0.0.1:" + s3Port);
            config.put("tipstream.s3.access-key", s3AccessKey);
            config.put("tipstream.s3.secret-key", s3SecretKey);
            config.put("tipstream.s3.bucket", bucket);
            return config;
        }

        /** Free ports, for tests that may run beside a one-command run. */
        public static Settings ephemeral(Path dataDir) {
            return new Settings(dataDir, freePort(), freePort(), freePort(), "tipstream", "tipstream-test-secret",
                    "tipstream");
        }
    }

    private DevStack(Settings settings, EmbeddedKafka kafka, EmbeddedS3 s3, long startupMillis) {
        this.settings = settings;
        this.kafka = kafka;
        this.s3 = s3;
        this.startupMillis = startupMillis;
    }

    /** Starts both servers side by side and returns once each is really ready. */
    public static DevStack start(Settings settings) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        EmbeddedKafka kafka = EmbeddedKafka.start(settings.dataDir(), settings.kafkaPort(), settings.kafkaControllerPort());
        EmbeddedS3 s3 = null;
        try {
            s3 = EmbeddedS3.start(settings.dataDir(), settings.s3Port(), settings.s3AccessKey(), settings.s3SecretKey());
            s3.awaitReady(READY_TIMEOUT);
            kafka.awaitReady(READY_TIMEOUT);
            List<String> topics = new ArrayList<>();
            for (String topic : Topics.ALL) {
                topics.add(topic);
                topics.add(Topics.deadLetter(topic));
            }
            kafka.createTopics(topics, PARTITIONS, Topics.CONFIG);
            DevStack stack = new DevStack(settings, kafka, s3, (System.nanoTime() - t0) / 1_000_000);
            stack.blobStore().ensureBucket();
            return stack;
        } catch (IOException | InterruptedException | RuntimeException e) {
            kafka.close();
            if (s3 != null) {
                s3.close();
            }
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            kafka.close();
            s3.close();
            throw new IllegalStateException("creating Kafka topics failed: " + e.getCause(), e.getCause());
        }
    }

    public Settings settings() {
        return settings;
    }

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String s3Endpoint() {
        return s3.endpoint();
    }

    public long startupMillis() {
        return startupMillis;
    }

    public List<ChildJvm> processes() {
        return List.of(kafka.jvm(), s3.jvm());
    }

    public BlobStore.S3Config s3Config() {
        return new BlobStore.S3Config(s3.endpoint(), settings.s3AccessKey(), settings.s3SecretKey(), settings.bucket());
    }

    /** A producer configured as the services configure theirs (idempotent, acks=all); the caller closes it. */
    public KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
    }

    public BlobStore blobStore() {
        return new BlobStore(s3Config());
    }

    /** The configuration every service reads, under the names of application.properties. */
    public Map<String, String> serviceConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        config.put("tipstream.s3.endpoint", s3.endpoint());
        config.put("tipstream.s3.access-key", settings.s3AccessKey());
        config.put("tipstream.s3.secret-key", settings.s3SecretKey());
        config.put("tipstream.s3.bucket", settings.bucket());
        return config;
    }

    /** Stops both servers; their data stays in the data directory. */
    @Override
    public void close() {
        kafka.close();
        s3.close();
    }

    /**
     * A port on 127.0.0.1 that is free now, below the ephemeral ranges (Linux 32768-60999, IANA 49152-65535): a
     * port the kernel picked for {@code ServerSocket(0)} can be handed out again at once as the local port of
     * any outgoing connection, before the server meant to listen there binds it (a test's Kafka controller failed
     * so: "Address already in use"). Nor is a port handed out twice in one JVM: a stack asks for three at once,
     * none bound until it starts (a test's Kafka once failed to bind its port: augment-service, stop 50).
     * Another process may still take it first.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = FREE_PORTS_FROM + ThreadLocalRandom.current().nextInt(FREE_PORTS_COUNT);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // try another (this one stays marked: something else holds it)
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + FREE_PORTS_FROM + "-"
                + (FREE_PORTS_FROM + FREE_PORTS_COUNT - 1) + " after 200 tries"));
    }
}
