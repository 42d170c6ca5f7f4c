package tipstream.devstack;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Apache Kafka broker (KRaft, broker and controller in one) in a child JVM, listening on
 * 127.0.0.1, its log in a directory that survives restarts.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final ChildJvm jvm;
    private final String bootstrapServers;

    private EmbeddedKafka(ChildJvm jvm, String bootstrapServers) {
        this.jvm = jvm;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts the broker; call {@link #awaitReady} before use. */
    public static EmbeddedKafka start(Path dataDir, int port, int controllerPort) throws IOException {
        Path logDir = dataDir.resolve("kafka");
        Files.createDirectories(logDir);
        Path config = dataDir.resolve("kafka-server.properties");
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", logDir.toAbsolutePath().toString());
        // one broker: every replication factor and min ISR is 1
        for (String key : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
                "share.coordinator.state.topic.min.isr", "default.replication.factor", "min.insync.replicas")) {
            p.setProperty(key, "1");
        }
        p.setProperty("num.partitions", "3");
        p.setProperty("offsets.topic.num.partitions", "3");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("auto.create.topics.enable", "false");
        try (Writer out = Files.newBufferedWriter(config)) {
            p.store(out, "written by tipstream devstack");
        }
        ChildJvm jvm = ChildJvm.start("kafka", new DevStackRuntime().kafkaClasspath(),
                List.of("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info"),
                KafkaBrokerMain.class.getName(), List.of(config.toString(), clusterId(dataDir)), Map.of(),
                dataDir.resolve("logs/kafka.log"));
        return new EmbeddedKafka(jvm, "127.0.0.1:" + port);
    }

    /** The cluster id is kept beside the data, so a restart finds its formatted log again. */
    private static String clusterId(Path dataDir) throws IOException {
        Path file = dataDir.resolve("kafka-cluster-id");
        if (Files.exists(file)) {
            return Files.readString(file).trim();
        }
        // Kafka's own generator never starts an id with '-', which the format tool would read as an option
        String id = Uuid.randomUuid().toString();
        Files.writeString(file, id);
        return id;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public ChildJvm jvm() {
        return jvm;
    }

    /** Waits until the broker answers a metadata request and has a controller. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        Exception last = null;
        while (Instant.now().isBefore(deadline)) {
            jvm.requireAlive();
            try (Admin admin = admin()) {
                if (admin.describeCluster().controller().get(2, TimeUnit.SECONDS) != null
                        && !admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Kafka not ready after " + timeout + " (" + last + "); log tail:\n"
                + jvm.tail(30));
    }

    /**
     * Creates the topics that do not exist yet with {@code config}, and sets {@code config} on those
     * that do (a data folder from before a setting was added gets it too).
     */
    public void createTopics(List<String> topics, int partitions, Map<String, String> config)
            throws InterruptedException, ExecutionException {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            Map<ConfigResource, Collection<AlterConfigOp>> updates = new HashMap<>();
            for (String topic : topics) {
                if (!existing.contains(topic)) {
                    missing.add(new NewTopic(topic, partitions, (short) 1).configs(config));
                } else {
                    updates.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), config.entrySet().stream()
                            .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET))
                            .toList());
                }
            }
            admin.incrementalAlterConfigs(updates).all().get();
            try {
                admin.createTopics(missing).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000));
    }

    @Override
    public void close() {
        jvm.close();
    }
}
