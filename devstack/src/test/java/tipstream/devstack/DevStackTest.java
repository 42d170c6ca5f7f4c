package tipstream.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.dataset.Topics;

/** The embedded stack is real: records and objects written before a restart are there after it. */
class DevStackTest {
    @TempDir
    Path dataDir;

    @Test
    void noFreePortIsHandedOutTwice() {
        // 3,000 random picks of 12,768 ports would repeat one ~350 times; a stack's three ports must differ
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 3000; i++) {
            assertThat(seen.add(DevStack.freePort())).isTrue();
        }
    }

    @Test
    void freePortsAreBindableAndBelowTheKernelsEphemeralRange() throws Exception {
        for (int i = 0; i < 50; i++) {
            int port = DevStack.freePort();
            // an outgoing connection's local port comes from 32768 up; a server's port must not
            assertThat(port).isBetween(20000, 32767);
            try (java.net.ServerSocket socket = new java.net.ServerSocket(port, 1,
                    java.net.InetAddress.getLoopbackAddress())) {
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void kafkaAndS3KeepTheirDataAcrossRestartAndLeaveNoProcessBehind() throws Exception {
        DevStack.Settings settings = DevStack.Settings.ephemeral(dataDir);
        String key = "probe/" + UUID.randomUUID();
        List<Long> pids = new ArrayList<>();
        try (DevStack stack = DevStack.start(settings)) {
            stack.processes().forEach(p -> pids.add(p.pid()));
            stack.blobStore().put(key, "hello".getBytes(StandardCharsets.UTF_8), "text/plain");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(Topics.FRAMES, "cap", "before-restart")).get();
            }
        }
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
        }

        try (DevStack stack = DevStack.start(settings)) {
            BlobStore blobs = stack.blobStore();
            assertThat(new String(blobs.get(key), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(readAll(stack, Topics.FRAMES)).containsExactly("before-restart");
            assertThat(readAll(stack, Topics.deadLetter(Topics.LABELS))).isEmpty();
        }
    }

    @Test
    void everyTopicKeepsItsRecordsAsLongAsTheDataAlsoInAnOlderDataFolder() throws Exception {
        // review R1: the services replay topics from offset 0, so no topic may expire records
        DevStack.Settings settings = DevStack.Settings.ephemeral(dataDir);
        List<String> topics = new ArrayList<>();
        Topics.ALL.forEach(t -> topics.addAll(List.of(t, Topics.deadLetter(t))));
        try (DevStack stack = DevStack.start(settings); Admin admin = admin(stack)) {
            assertThat(retentionOnceSettled(admin, topics, "-1")).containsOnly("-1").hasSize(topics.size());
            // a data folder from before the setting: the broker's 7-day default on one topic
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, Topics.LABELS),
                    List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "604800000"), AlterConfigOp.OpType.SET))))
                    .all().get();
            assertThat(retentionOnceSettled(admin, List.of(Topics.LABELS), "604800000")).containsExactly("604800000");
        }
        try (DevStack stack = DevStack.start(settings); Admin admin = admin(stack)) {
            assertThat(retentionOnceSettled(admin, topics, "-1")).containsOnly("-1").hasSize(topics.size());
        }
    }

    @Test
    void composeAndKubernetesCreateEveryTopicWithTheSameSettings() throws Exception {
        for (String file : List.of("../docker-compose.yml", "../k8s/kafka-topics.yaml")) {
            String text = Files.readString(Path.of(file));
            Matcher loop = Pattern.compile("for t in ([a-z. ]+); do").matcher(text);
            assertThat(loop.find()).as(file).isTrue();
            assertThat(loop.group(1).trim().split(" ")).as(file).containsExactlyInAnyOrderElementsOf(Topics.ALL);
            assertThat(text).as(file).contains("$t.dlq");
            Topics.CONFIG.forEach((key, value) -> assertThat(text).as(file).contains("--config " + key + "=" + value)
                    .contains("--add-config " + key + "=" + value));
        }
        // review R9: k8s states the replication it creates topics with, so a scaled cluster is one setting away
        assertThat(Files.readString(Path.of("../k8s/kafka-topics.yaml")))
                .contains("--replication-factor $REPLICATION_FACTOR", "--config min.insync.replicas=$MIN_INSYNC_REPLICAS",
                        "--config unclean.leader.election.enable=false", "name: REPLICATION_FACTOR");
    }

    @Test
    void composeAndKubernetesKeepKafkasLogOnItsVolume() throws Exception {
        // review R9: the apache/kafka image writes its log under /tmp unless told otherwise, so the volume
        // mounted for it kept nothing and a recreated container started with every topic empty
        String compose = Files.readString(Path.of("../docker-compose.yml"));
        assertThat(compose).contains("KAFKA_LOG_DIRS: /var/lib/kafka/data", "- kafka-data:/var/lib/kafka/data");
        assertThat(Files.readString(Path.of("../k8s/kafka.yaml")))
                .containsPattern("name: KAFKA_LOG_DIRS\\s+value: /var/lib/kafka/data")
                .contains("mountPath: /var/lib/kafka/data");
    }

    @Test
    void composePublishesItsPortsOnTheLoopbackUnlessToldOtherwise() throws Exception {
        // review R17: every service and the MinIO console were published on all of the host's interfaces
        List<String> published = Files.readAllLines(Path.of("../docker-compose.yml")).stream()
                .map(String::trim).filter(line -> line.matches("- \"?[0-9$].*:\\d+\"?")).toList();
        assertThat(published).hasSize(5).allSatisfy(line -> assertThat(line)
                .startsWith("- \"${TIPSTREAM_BIND_ADDRESS:-127.0.0.1}:"));
    }

    @Test
    void kubernetesSecretsComeFromFilesGitIgnoresWithTheKeysTheManifestsRead() throws Exception {
        // review R17: kustomize applied the repository's placeholder keys as the deployment's Secrets
        String kustomization = Files.readString(Path.of("../k8s/kustomization.yaml"));
        assertThat(kustomization).doesNotContain("secrets.yaml").contains("secretGenerator:",
                "- name: tipstream-s3\n    envs:\n      - s3.env", "- name: tipstream-api\n    envs:\n      - api.env",
                "disableNameSuffixHash: true");
        assertThat(Files.readAllLines(Path.of("../.gitignore"))).contains("k8s/s3.env", "k8s/api.env");
        Map<String, String> examples = Map.of("tipstream-s3", "../k8s/s3.env.example", "tipstream-api",
                "../k8s/api.env.example");
        Pattern reference = Pattern.compile("secretKeyRef:\\s+name: (\\S+)\\s+key: (\\S+)");
        int references = 0;
        try (var manifests = Files.list(Path.of("../k8s"))) {
            for (Path manifest : manifests.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Matcher m = reference.matcher(Files.readString(manifest));
                while (m.find()) {
                    references++;
                    assertThat(examples).as(manifest + " reads Secret " + m.group(1)).containsKey(m.group(1));
                    assertThat(Files.readAllLines(Path.of(examples.get(m.group(1)))))
                            .as(manifest + " reads " + m.group(1) + "/" + m.group(2))
                            .anySatisfy(line -> assertThat(line).startsWith(m.group(2) + "="));
                }
            }
        }
        assertThat(references).isGreaterThanOrEqualTo(8);
    }

    private static Admin admin(DevStack stack) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()));
    }

    /**
     * The topics' retention once every one reads {@code expected}, or as it is after 10 s: a KRaft broker
     * answers describeConfigs from its metadata cache, which learns an accepted change a moment later.
     */
    private static List<String> retentionOnceSettled(Admin admin, List<String> topics, String expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> values = retention(admin, topics);
        while (!values.stream().allMatch(expected::equals) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            values = retention(admin, topics);
        }
        return values;
    }

    private static List<String> retention(Admin admin, List<String> topics) throws Exception {
        List<ConfigResource> resources = topics.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        return admin.describeConfigs(resources).all().get().values().stream()
                .map(config -> config.get("retention.ms").value()).toList();
    }

    @Test
    void clusterIdStartingWithADashIsNotTakenForAnOption() throws Exception {
        // base64url ids start with '-' one time in 64; the storage format tool once read that as a flag
        java.nio.file.Files.writeString(dataDir.resolve("kafka-cluster-id"), "-AAAAAAAAAAAAAAAAAAAAA");
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dataDir))) {
            assertThat(stack.kafkaBootstrapServers()).startsWith("127.0.0.1:");
        }
    }

    private static List<String> readAll(DevStack stack, String topic) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 8000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
                if (!values.isEmpty() && consumer.assignment().size() == DevStack.PARTITIONS) {
                    break;
                }
            }
        }
        return values;
    }
}
