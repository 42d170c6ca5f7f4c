package tipstream.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Sha256;
import tipstream.dataset.Shard;
import tipstream.dataset.TopicSnapshot;
import tipstream.dataset.Topics;
import tipstream.dataset.WriterFence;
import tipstream.devstack.DevStack;
import tipstream.devstack.FailingSends;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.DeadLetter;
import tipstream.v1.FrameRef;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;
import tipstream.v1.ShardReady;
import tipstream.v1.TipLabel;

/** Frames and labels on the real Kafka become dataset versions in the real S3. */
class AugmentWorkerTest {
    @Test
    void labelsBeforeOrAfterFramesRevisionsAndBadRecords(@TempDir Path dir) throws Exception {
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            BlobStore blobs = stack.blobStore();
            DatasetAssembler assembler = new DatasetAssembler("lab", new CaptureSplit(50, "t"),
                    List.of(Augmentation.FLIP), FrameFormat.LAB_CAMERA, 264, 203, 100, "test");
            AugmentWorker worker = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler, "lab");

            // capture A: label first, then frame; capture B: frame, then label; a frame without label waits
            send(producer, Topics.LABELS, "A", label("A", 0, 1, 100, 100).toByteArray());
            send(producer, Topics.FRAMES, "A", frame(blobs, "A", 0).toByteArray());
            send(producer, Topics.FRAMES, "B", frame(blobs, "B", 0).toByteArray());
            send(producer, Topics.LABELS, "B", label("B", 0, 1, 200, 150).toByteArray());
            send(producer, Topics.FRAMES, "B", frame(blobs, "B", 1).toByteArray());
            // broken input: garbage bytes, and a reference to a blob that is not there
            send(producer, Topics.FRAMES, "X", new byte[] {(byte) 0xff, 0x00, 0x13});
            send(producer, Topics.FRAMES, "X", FrameRef.newBuilder().setCaptureId("X").setFrameName("x.png")
                    .setSha256("0".repeat(64)).setBlobKey("frames/" + "0".repeat(64) + ".png").build().toByteArray());

            assertThat(worker.recordsDone()).isZero();
            AugmentWorker.Pass first = worker.runOnce();
            assertThat(first.version()).contains("1.0.0");
            assertThat(worker.recordsDone()).isEqualTo(7); // the 7 records above, bad ones included
            assertThat(first.deadLettered()).isEqualTo(2);
            DatasetManifest manifest = ManifestCodec.fromJson(blobs.get("datasets/lab/1.0.0/manifest.json"));
            int samples = manifest.getShardsList().stream().mapToInt(s -> s.getSampleCount()).sum();
            long train = manifest.getCapturesList().stream().filter(c -> new CaptureSplit(50, "t").splitOf(c)
                    .equals("train")).count();
            assertThat(manifest.getCapturesList()).containsExactly("A", "B");
            assertThat(samples).isEqualTo(2 + (int) train); // one labelled frame per capture, +1 flip in train
            for (var shard : manifest.getShardsList()) {
                assertThat(Sha256.hex(blobs.get(shard.getKey()))).isEqualTo(shard.getSha256());
                assertThat(Shard.read(blobs.get(shard.getKey()))).hasSize(shard.getSampleCount());
            }

            // the same pass again: no new version, nothing dead-lettered twice
            AugmentWorker.Pass again = worker.runOnce();
            assertThat(again.version()).isEmpty();
            assertThat(again.deadLettered()).isZero();

            // a revised label is a PATCH version; the latest revision wins whatever the order
            send(producer, Topics.LABELS, "A", label("A", 0, 3, 120, 90).toByteArray());
            send(producer, Topics.LABELS, "A", label("A", 0, 2, 1, 1).toByteArray());
            assertThat(worker.runOnce().version()).contains("1.0.1");
            assertThat(worker.recordsDone()).isEqualTo(9);
            // each pass read only what was new (review R7): 7 records, then 2; not 7 + 9
            assertThat(worker.recordsRead()).isEqualTo(9);
            DatasetManifest patched = ManifestCodec.fromJson(blobs.get("datasets/lab/1.0.1/manifest.json"));
            var sampleA = patched.getShardsList().stream().flatMap(s -> {
                try {
                    return Shard.read(blobs.get(s.getKey())).stream();
                } catch (Shard.CorruptShardException e) {
                    throw new AssertionError(e);
                }
            }).filter(s -> s.getCaptureId().equals("A") && s.getAugmentation().isEmpty()).findFirst().orElseThrow();
            assertThat(sampleA.getTip().getX()).isEqualTo(120.0);
            assertThat(sampleA.getLabelRevision()).isEqualTo(3);

            List<ShardReady> announced = read(stack, Topics.SHARDS, ShardReady.parser());
            assertThat(announced).extracting(ShardReady::getVersion).containsOnly("1.0.0", "1.0.1");
            // each version announces the shards it adds: all of 1.0.0's, then only A's rebuilt one
            List<String> addedByPatch = patched.getShardsList().stream()
                    .filter(e -> !manifest.getShardsList().contains(e)).map(e -> e.getKey()).toList();
            assertThat(addedByPatch).hasSize(1);
            assertThat(announced).extracting(ShardReady::getShardKey).containsExactlyElementsOf(
                    java.util.stream.Stream.concat(manifest.getShardsList().stream().map(e -> e.getKey()),
                            addedByPatch.stream()).toList());
            List<DeadLetter> dead = read(stack, Topics.deadLetter(Topics.FRAMES), DeadLetter.parser());
            assertThat(dead).extracting(DeadLetter::getReason).anySatisfy(r -> assertThat(r).contains("undecodable"))
                    .anySatisfy(r -> assertThat(r).contains("is missing"));
            assertThat(dead).hasSize(2);
        }
    }

    @Test
    void aVersionWhoseAnnouncementFailedIsAnnouncedByTheNextPass(@TempDir Path dir) throws Exception {
        // review R2: latest used to move before the ShardReady records went out, so the pass after a
        // failed send saw nothing to build and the trainer never heard of the version
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            BlobStore blobs = stack.blobStore();
            DatasetAssembler assembler = withoutAugmentations();
            for (String capture : List.of("A", "B", "C")) {
                send(producer, Topics.FRAMES, capture, frame(blobs, capture, 0).toByteArray());
                send(producer, Topics.LABELS, capture, label(capture, 0, 1, 100, 100).toByteArray());
            }
            AugmentWorker failing = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer,
                    () -> new WriterFence(FailingSends.firstSendTo(Topics.SHARDS, transactionalProducer(stack))), assembler,
                    "lab");
            assertThatThrownBy(failing::runOnce).hasMessageContaining("broker not available");
            failing.close();

            AugmentWorker restarted = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler, "lab");
            assertThat(restarted.runOnce().version()).contains("1.0.0");
            String latest = new String(blobs.get(ObjectKeys.latestVersion("lab")), StandardCharsets.UTF_8).trim();
            DatasetManifest manifest = ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", latest)));
            assertThat(read(stack, Topics.SHARDS, ShardReady.parser())).extracting(ShardReady::getShardKey)
                    .containsAll(manifest.getShardsList().stream().map(ShardEntry::getKey).toList());
        }
    }

    @Test
    void aStoredFrameThatCannotBeUsedIsLeftOutAndDeadLetteredOnce(@TempDir Path dir) throws Exception {
        // review R5: one undecodable blob used to fail every pass, so no version was built again
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            BlobStore blobs = stack.blobStore();
            DatasetAssembler assembler = withoutAugmentations();
            AugmentWorker worker = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler, "lab");
            for (String capture : List.of("A", "B")) {
                send(producer, Topics.FRAMES, capture, frame(blobs, capture, 0).toByteArray());
                send(producer, Topics.LABELS, capture, label(capture, 0, 1, 100, 100).toByteArray());
            }
            // bit rot: not a PNG under a valid-looking content address
            byte[] rotten = "not a png at all".getBytes(StandardCharsets.UTF_8);
            String sha = Sha256.hex(rotten);
            blobs.put("frames/" + sha + ".png", rotten, "image/png");
            FrameRef rottenRef = FrameRef.newBuilder().setCaptureId("R").setFrameName("R-camL0000.png")
                    .setSha256(sha).setBlobKey("frames/" + sha + ".png").build();
            var rottenRecord = producer.send(new ProducerRecord<>(Topics.FRAMES, "R", rottenRef.toByteArray())).get();
            send(producer, Topics.LABELS, "R", label("R", 0, 1, 100, 100).toByteArray());
            // a reference whose sha256 is no hash at all
            send(producer, Topics.FRAMES, "S", FrameRef.newBuilder().setCaptureId("S").setFrameName("S-camL0000.png")
                    .setSha256("abc").setBlobKey("frames/" + sha + ".png").build().toByteArray());
            send(producer, Topics.LABELS, "S", label("S", 0, 1, 100, 100).toByteArray());

            AugmentWorker.Pass first = worker.runOnce();
            assertThat(first.version()).contains("1.0.0");
            assertThat(first.samples()).isEqualTo(2); // A and B, nothing of R or S
            assertThat(first.deadLettered()).isEqualTo(2);
            List<DeadLetter> dead = read(stack, Topics.deadLetter(Topics.FRAMES), DeadLetter.parser());
            assertThat(dead).extracting(DeadLetter::getReason)
                    .anySatisfy(r -> assertThat(r).contains("frames/" + sha + ".png cannot be used"))
                    .anySatisfy(r -> assertThat(r).contains("sha256 is not 64 hex digits"));
            // the left-out frame's letter carries its record: key, content and place in the topic
            DeadLetter rottenLetter = dead.stream().filter(d -> d.getReason().contains("cannot be used")).findFirst()
                    .orElseThrow();
            assertThat(rottenLetter.getKey().toStringUtf8()).isEqualTo("R");
            assertThat(FrameRef.parseFrom(rottenLetter.getValue())).isEqualTo(rottenRef);
            assertThat(rottenLetter.getSourceTopic()).isEqualTo(Topics.FRAMES);
            assertThat(rottenLetter.getPartition()).isEqualTo(rottenRecord.partition());
            assertThat(rottenLetter.getOffset()).isEqualTo(rottenRecord.offset());

            // a new capture: a new version, the bad frames neither block it nor are dead-lettered again
            send(producer, Topics.FRAMES, "C", frame(blobs, "C", 0).toByteArray());
            send(producer, Topics.LABELS, "C", label("C", 0, 1, 100, 100).toByteArray());
            AugmentWorker.Pass second = worker.runOnce();
            assertThat(second.version()).contains("1.1.0");
            assertThat(second.samples()).isEqualTo(3);
            assertThat(second.deadLettered()).isZero();
            assertThat(read(stack, Topics.deadLetter(Topics.FRAMES), DeadLetter.parser())).hasSize(2);
        }
    }

    @Test
    void capturesWhoseRecordsAreBeyondTheTopicsRetentionStayInTheNextVersion(@TempDir Path dir) throws Exception {
        // review R1: the frames and labels logs lose their oldest records (time or size retention);
        // ingest's index still has them, and the next version must too
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer();
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.kafkaBootstrapServers()))) {
            BlobStore blobs = stack.blobStore();
            FrameIndex index = new FrameIndex(blobs);
            DatasetAssembler assembler = withoutAugmentations();
            AugmentWorker worker = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler, "lab");
            for (String capture : List.of("A", "B")) {
                publish(producer, index, frame(blobs, capture, 0), label(capture, 0, 1, 100, 100));
            }
            assertThat(worker.runOnce().version()).contains("1.0.0");
            // ingest writes the index after the record, so whole topics hold all the index has: a
            // pass over them does not list the index (an entry there alone is not read yet)
            index.recordFrame(frame(blobs, "E", 0));
            index.recordLabel(label("E", 0, 1, 30, 40));
            publish(producer, index, frame(blobs, "D", 0), label("D", 0, 1, 20, 20));
            AugmentWorker.Pass whole = worker.runOnce();
            assertThat(ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", whole.version().orElseThrow())))
                    .getCapturesList()).containsExactly("A", "B", "D");

            deleteEveryRecord(admin);
            assertThat(TopicSnapshot.read(stack.kafkaBootstrapServers(), List.of(Topics.FRAMES, Topics.LABELS), "t"))
                    .isEmpty();

            publish(producer, index, frame(blobs, "C", 0), label("C", 0, 1, 50, 60));
            // the running worker had read every record the topics lost: it reads on, C's 2 records
            AugmentWorker.Pass pass = worker.runOnce();
            assertThat(ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", pass.version().orElseThrow())))
                    .getCapturesList()).containsExactly("A", "B", "C", "D");
            assertThat(worker.recordsRead()).isEqualTo(8);

            // a restarted augment finds the topics trimmed and adds what they lost from the index
            worker.close();
            AugmentWorker restarted = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack),
                    assembler, "lab");
            AugmentWorker.Pass afterRestart = restarted.runOnce();
            DatasetManifest manifest = ManifestCodec.fromJson(
                    blobs.get(ObjectKeys.manifest("lab", afterRestart.version().orElseThrow())));
            assertThat(manifest.getCapturesList()).containsExactly("A", "B", "C", "D", "E");
            assertThat(afterRestart.samples()).isEqualTo(5);
            assertThat(restarted.recordsRead()).isEqualTo(2);

            // a label revised, then lost before the running worker read it: it starts again from
            // what the topics and the index hold, so the revision is not left behind
            TipLabel revised = label("C", 0, 2, 70, 80);
            send(producer, Topics.LABELS, "C", revised.toByteArray());
            index.recordLabel(revised);
            deleteEveryRecord(admin);
            AugmentWorker.Pass revisedPass = restarted.runOnce();
            DatasetManifest patched = ManifestCodec.fromJson(
                    blobs.get(ObjectKeys.manifest("lab", revisedPass.version().orElseThrow())));
            var sampleC = patched.getShardsList().stream().flatMap(s -> {
                try {
                    return Shard.read(blobs.get(s.getKey())).stream();
                } catch (Shard.CorruptShardException e) {
                    throw new AssertionError(e);
                }
            }).filter(s -> s.getCaptureId().equals("C")).findFirst().orElseThrow();
            assertThat(sampleC.getTip().getX()).isEqualTo(70.0);
            assertThat(patched.getCapturesList()).containsExactly("A", "B", "C", "D", "E");
        }
    }

    @Test
    void capturesALogThatWentBackNoLongerHoldsStayInTheNextVersion(@TempDir Path dir) throws Exception {
        // review R9: a single broker that loses its log's tail (or topics recreated) holds less than
        // ingest's index, from offsets a running worker has read past; nothing said so, and the next
        // version went without those captures (or was refused for dropping them)
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> workers = stack.producer();
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.kafkaBootstrapServers()))) {
            BlobStore blobs = stack.blobStore();
            FrameIndex index = new FrameIndex(blobs);
            DatasetAssembler assembler = withoutAugmentations();
            AugmentWorker worker = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), workers, fence(stack),
                    assembler, "lab");
            // ingest's producers: one before the topics went, one after
            try (KafkaProducer<String, byte[]> producer = stack.producer()) {
                for (String capture : List.of("A", "B", "D")) {
                    publish(producer, index, frame(blobs, capture, 0), label(capture, 0, 1, 100, 100));
                }
                assertThat(worker.runOnce().version()).contains("1.0.0");
            }

            recreateFramesAndLabels(admin);
            try (KafkaProducer<String, byte[]> producer = stack.producer()) {
                publish(producer, index, frame(blobs, "C", 0), label("C", 0, 1, 50, 60));
                // C's records sit at offsets the running worker had read past
                AugmentWorker.Pass pass = worker.runOnce();
                assertThat(ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", pass.version().orElseThrow())))
                        .getCapturesList()).containsExactly("A", "B", "C", "D");
                worker.close();

                // a worker started after the loss reads the topics from their start, and the index with them
                AugmentWorker restarted = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), workers,
                        fence(stack), assembler, "lab");
                publish(producer, index, frame(blobs, "E", 0), label("E", 0, 1, 20, 30));
                AugmentWorker.Pass afterRestart = restarted.runOnce();
                DatasetManifest manifest = ManifestCodec.fromJson(
                        blobs.get(ObjectKeys.manifest("lab", afterRestart.version().orElseThrow())));
                assertThat(manifest.getCapturesList()).containsExactly("A", "B", "C", "D", "E");
                assertThat(afterRestart.samples()).isEqualTo(5);
                restarted.close();
            }
        }
    }

    /** As a broker that lost everything it had not flushed, or an operator recreating them: empty topics again. */
    private static void recreateFramesAndLabels(Admin admin) throws Exception {
        List<String> topics = List.of(Topics.FRAMES, Topics.LABELS);
        admin.deleteTopics(topics).all().get();
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                admin.createTopics(topics.stream().map(t -> new NewTopic(t, DevStack.PARTITIONS, (short) 1)
                        .configs(Topics.CONFIG)).toList()).all().get();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                // still being deleted
                assertThat(e.getCause()).isInstanceOf(TopicExistsException.class);
                assertThat(System.currentTimeMillis()).as("topics recreated in time").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    @Test
    void replicasShareTheCapturesAndOnePublishesWhatOneWould(@TempDir Path dir) throws Exception {
        // issue 12 item 3, review R6: two augments of one dataset (kubectl scale, a rolling update)
        // used to be one writer and one that stopped for good; they now split the captures by the
        // frames' partitions and the holder of partition 0 publishes
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            BlobStore blobs = stack.blobStore();
            DatasetAssembler assembler = withoutAugmentations();
            AugmentWorker a = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler,
                    "lab", Duration.ofSeconds(6));
            AugmentWorker b = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler,
                    "lab", Duration.ofSeconds(6));
            Map<AugmentWorker, List<AugmentWorker.Pass>> passes = new HashMap<>();
            try (Replicas running = new Replicas(List.of(a, b), passes)) {
                running.until(() -> !a.heldPartitions().isEmpty() && !b.heldPartitions().isEmpty()
                        && a.heldPartitions().size() + b.heldPartitions().size() == DevStack.PARTITIONS);
                // captures on every partition: each replica has some to build
                List<String> captures = new ArrayList<>();
                for (int i = 0; captures.size() < 9; i++) {
                    String capture = "C" + i;
                    long onItsPartition = captures.stream().filter(c -> BuildShare.partitionOf(c, DevStack.PARTITIONS)
                            == BuildShare.partitionOf(capture, DevStack.PARTITIONS)).count();
                    if (onItsPartition < 3) {
                        captures.add(capture);
                    }
                }
                List<DatasetAssembler.LabelledFrame> labelled = new ArrayList<>();
                for (String capture : captures) {
                    FrameRef frame = frame(blobs, capture, 0);
                    TipLabel label = label(capture, 0, 1, 100, 100);
                    send(producer, Topics.FRAMES, capture, frame.toByteArray());
                    send(producer, Topics.LABELS, capture, label.toByteArray());
                    labelled.add(new DatasetAssembler.LabelledFrame(frame, label));
                }
                running.until(() -> latest(blobs).map(m -> m.getCapturesCount() == captures.size()).orElse(false));
                // what one augment builds from the same frames, shard for shard
                DatasetManifest alone = assembler.assemble(labelled, blobs::get, Optional.empty(), (k, v) -> { })
                        .orElseThrow().manifest();
                assertThat(latest(blobs).orElseThrow().getShardsList()).isEqualTo(alone.getShardsList());
                int builtByA = passes.get(a).stream().mapToInt(AugmentWorker.Pass::shardsBuilt).sum();
                int builtByB = passes.get(b).stream().mapToInt(AugmentWorker.Pass::shardsBuilt).sum();
                assertThat(builtByA).isPositive();
                assertThat(builtByB).isPositive();
                assertThat(builtByA + builtByB).isEqualTo(captures.size()); // each capture built once
                AugmentWorker publisher = a.publishes() ? a : b;
                AugmentWorker other = publisher == a ? b : a;
                assertThat(other.publishes()).isFalse();
                assertThat(passes.get(other)).allSatisfy(p -> assertThat(p.version()).isEmpty());

                // the publisher goes (a scale-down, the old pod of a rollout): the other takes its partitions
                running.stop(publisher);
                send(producer, Topics.FRAMES, "late", frame(blobs, "late", 0).toByteArray());
                send(producer, Topics.LABELS, "late", label("late", 0, 1, 10, 20).toByteArray());
                running.until(() -> latest(blobs).map(m -> m.getCapturesList().contains("late")).orElse(false));
                assertThat(other.publishes()).isTrue();
                assertThat(other.heldPartitions()).hasSize(DevStack.PARTITIONS);
            }
            // every version announced once, each announcing a stored manifest
            List<ShardReady> announced = read(stack, Topics.SHARDS, ShardReady.parser());
            Map<String, Long> announcementsByVersion = new HashMap<>();
            for (ShardReady ready : announced) {
                announcementsByVersion.merge(ready.getVersion(), 1L, Long::sum);
                DatasetManifest manifest = ManifestCodec.fromJson(blobs.get(ready.getManifestKey()));
                assertThat(manifest.getShardsList()).extracting(ShardEntry::getKey).contains(ready.getShardKey());
            }
            String latest = latest(blobs).orElseThrow().getVersion();
            assertThat(announcementsByVersion).containsKey(latest);
            assertThat(announced.stream().map(r -> r.getVersion() + " " + r.getShardKey()).distinct().count())
                    .isEqualTo(announced.size());
        }
    }

    @Test
    void aPublisherThatWasTakenOverKeepsBuildingAndNeverOverwritesAVersion(@TempDir Path dir) throws Exception {
        // review R6: the old publisher of a rollout must not write a version after the new one claimed the fence
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            BlobStore blobs = stack.blobStore();
            DatasetAssembler assembler = withoutAugmentations();
            for (String capture : List.of("A", "B")) {
                send(producer, Topics.FRAMES, capture, frame(blobs, capture, 0).toByteArray());
                send(producer, Topics.LABELS, capture, label(capture, 0, 1, 100, 100).toByteArray());
            }
            try (AugmentWorker old = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack),
                    assembler, "lab")) {
                assertThat(old.runOnce().version()).contains("1.0.0");
                // a new publisher of the same dataset claims the fence (as a replica given partition 0 does)
                try (WriterFence newer = fence(stack).get()) {
                    newer.claim();
                    send(producer, Topics.FRAMES, "C", frame(blobs, "C", 0).toByteArray());
                    send(producer, Topics.LABELS, "C", label("C", 0, 1, 50, 60).toByteArray());
                    AugmentWorker.Pass fenced = old.runOnce();
                    assertThat(fenced.version()).isEmpty();
                    assertThat(fenced.shardsBuilt()).isEqualTo(1); // it built C, its own share, all the same
                    assertThat(old.publishes()).isFalse();
                    assertThat(blobs.list("datasets/lab/")).extracting(item -> item.objectName())
                            .noneMatch(key -> key.startsWith("datasets/lab/1.1.0/"));
                }
                // still holding partition 0, it claims the fence again at its next pass and publishes C
                assertThat(old.runOnce().version()).contains("1.1.0");
            }
            // a version stored by a publisher that was gone before it moved latest is never overwritten
            DatasetManifest stored = ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", "1.1.0")));
            blobs.put(ObjectKeys.latestVersion("lab"), "1.0.0".getBytes(StandardCharsets.UTF_8), "text/plain");
            send(producer, Topics.FRAMES, "D", frame(blobs, "D", 0).toByteArray());
            send(producer, Topics.LABELS, "D", label("D", 0, 1, 50, 60).toByteArray());
            try (AugmentWorker next = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack),
                    assembler, "lab")) {
                assertThat(next.runOnce().version()).isEmpty(); // 1.1.0 is taken: latest moves to it
                assertThat(ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", "1.1.0")))).isEqualTo(stored);
                AugmentWorker.Pass after = next.runOnce();
                assertThat(after.version()).contains("1.2.0");
            }
            assertThat(latest(blobs).orElseThrow().getCapturesList()).containsExactly("A", "B", "C", "D");
        }
    }

    /** Augment replicas, each running passes on its own thread as the service does, every 200 ms. */
    private static final class Replicas implements AutoCloseable {
        private final Map<AugmentWorker, Thread> threads = new HashMap<>();
        private final Map<AugmentWorker, List<AugmentWorker.Pass>> passes;
        private final List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final java.util.Set<AugmentWorker> stopped = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Replicas(List<AugmentWorker> workers, Map<AugmentWorker, List<AugmentWorker.Pass>> passes) {
            this.passes = passes;
            for (AugmentWorker worker : workers) {
                List<AugmentWorker.Pass> own = java.util.Collections.synchronizedList(new ArrayList<>());
                passes.put(worker, own);
                Thread thread = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        try {
                            own.add(worker.runOnce());
                            Thread.sleep(200);
                        } catch (Throwable e) {
                            if (!stopped.contains(worker)) { // a stopped pass fails as its interrupt lands
                                failures.add(e);
                            }
                            return;
                        }
                    }
                }, "replica");
                threads.put(worker, thread);
                thread.start();
            }
        }

        void until(java.util.function.BooleanSupplier condition) throws Exception {
            long deadline = System.currentTimeMillis() + 60_000;
            while (!condition.getAsBoolean()) {
                assertThat(failures).isEmpty();
                assertThat(System.currentTimeMillis()).as("replicas reached the state in time").isLessThan(deadline);
                Thread.sleep(100);
            }
        }

        /** Stops the worker's passes and closes it (it leaves the group). */
        void stop(AugmentWorker worker) throws InterruptedException {
            Thread thread = threads.remove(worker);
            stopped.add(worker);
            thread.interrupt();
            thread.join(30_000);
            worker.close();
        }

        @Override
        public void close() throws InterruptedException {
            for (AugmentWorker worker : List.copyOf(threads.keySet())) {
                stop(worker);
            }
        }
    }

    /** The manifest {@code latest} names, if any. */
    private static Optional<DatasetManifest> latest(BlobStore blobs) {
        Optional<byte[]> latest = blobs.find(ObjectKeys.latestVersion("lab"));
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        String version = new String(latest.get(), StandardCharsets.UTF_8).trim();
        try {
            return Optional.of(ManifestCodec.fromJson(blobs.get(ObjectKeys.manifest("lab", version))));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** Dataset "lab" at half resolution, half its captures held out, no baked augmentations. */
    /** As a retention would: each frames and labels partition keeps none of its records. */
    private static void deleteEveryRecord(Admin admin) throws Exception {
        Map<TopicPartition, RecordsToDelete> everything = new HashMap<>();
        for (String topic : List.of(Topics.FRAMES, Topics.LABELS)) {
            for (int p = 0; p < DevStack.PARTITIONS; p++) {
                TopicPartition partition = new TopicPartition(topic, p);
                long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get()
                        .offset();
                everything.put(partition, RecordsToDelete.beforeOffset(end));
            }
        }
        admin.deleteRecords(everything).all().get();
    }

    private static DatasetAssembler withoutAugmentations() {
        return new DatasetAssembler("lab", new CaptureSplit(50, "t"), List.of(), FrameFormat.LAB_CAMERA, 264, 203, 100,
                "test");
    }

    /** The dataset's fence, as augment opens it. */
    private static Supplier<WriterFence> fence(DevStack stack) {
        return () -> WriterFence.open(stack.kafkaBootstrapServers(), WriterFence.augmentOf("lab"));
    }

    @Test
    void labelsNoTrainerCanEncodeAreDeadLetteredAndTheFrameKeepsItsLastUsableOne(@TempDir Path dir) throws Exception {
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir));
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            BlobStore blobs = stack.blobStore();
            DatasetAssembler assembler = new DatasetAssembler("lab", new CaptureSplit(50, "t"), List.of(),
                    FrameFormat.LAB_CAMERA, 264, 203, 100, "test");
            AugmentWorker worker = new AugmentWorker(blobs, stack.kafkaBootstrapServers(), producer, fence(stack), assembler, "lab");
            // review R20: labels that reach the topic without ingest's check. Capture A has a usable one, then
            // newer revisions that are not; capture B has only an unusable one, so its frame waits for a label
            send(producer, Topics.FRAMES, "A", frame(blobs, "A", 0).toByteArray());
            send(producer, Topics.LABELS, "A", label("A", 0, 1, 100, 100).toByteArray());
            send(producer, Topics.LABELS, "A", label("A", 0, 2, 600, 10).toByteArray());
            send(producer, Topics.LABELS, "A", label("A", 0, 3, Double.NaN, 50).toByteArray());
            send(producer, Topics.LABELS, "A", label("A", 0, 4, 0, 0).toBuilder().clearTip().build().toByteArray());
            send(producer, Topics.LABELS, "A", label("A", 0, 5, 9, 9).toBuilder().setVisible(false).build().toByteArray());
            send(producer, Topics.FRAMES, "B", frame(blobs, "B", 0).toByteArray());
            send(producer, Topics.LABELS, "B", label("B", 0, 1, -3, 20).toByteArray());

            AugmentWorker.Pass pass = worker.runOnce();
            assertThat(pass.version()).contains("1.0.0");
            assertThat(pass.deadLettered()).isEqualTo(5);
            DatasetManifest manifest = ManifestCodec.fromJson(blobs.get("datasets/lab/1.0.0/manifest.json"));
            assertThat(manifest.getCapturesList()).containsExactly("A");
            DatasetSample a = Shard.read(blobs.get(manifest.getShards(0).getKey())).get(0);
            assertThat(a.getVisible()).isTrue();
            assertThat(a.getTip().getX()).isEqualTo(100.0);
            assertThat(a.getLabelRevision()).isEqualTo(1);
            assertThat(read(stack, Topics.deadLetter(Topics.LABELS), DeadLetter.parser())).extracting(DeadLetter::getReason)
                    .containsExactlyInAnyOrder("label tip (600.0, 10.0) lies outside the 528 x 406 frame",
                            "label tip (NaN, 50.0) is not finite", "label says the tip is visible but gives no position",
                            "label says the tip is not visible but gives a tip position",
                            "label tip (-3.0, 20.0) lies outside the 528 x 406 frame");
            assertThat(worker.runOnce().deadLettered()).as("each once").isZero();
        }
    }

    /** The dataset's transactional producer, as augment's fence has it. */
    private static Producer<String, byte[]> transactionalProducer(DevStack stack) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, WriterFence.augmentOf("lab")), new StringSerializer(),
                new ByteArraySerializer());
    }

    /** As ingest publishes: the record, then (once Kafka has it) the index entry. */
    private static void publish(KafkaProducer<String, byte[]> producer, FrameIndex index, FrameRef frame,
            TipLabel label) throws Exception {
        send(producer, Topics.FRAMES, frame.getCaptureId(), frame.toByteArray());
        index.recordFrame(frame);
        send(producer, Topics.LABELS, label.getCaptureId(), label.toByteArray());
        index.recordLabel(label);
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    private static FrameRef frame(BlobStore blobs, String capture, int index) {
        BufferedImage image = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        new Random((capture + index).hashCode()).nextBytes(
                ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData());
        byte[] png = PngFrameCodec.encode(image);
        String sha = Sha256.hex(png);
        blobs.put("frames/" + sha + ".png", png, "image/png");
        return FrameRef.newBuilder().setCaptureId(capture).setFrameName(capture + "-camL000" + index + ".png")
                .setBlobKey("frames/" + sha + ".png").setSha256(sha).setWidth(528).setHeight(406).build();
    }

    private static TipLabel label(String capture, int index, long revision, double x, double y) {
        return TipLabel.newBuilder().setCaptureId(capture).setFrameName(capture + "-camL000" + index + ".png")
                .setVisible(true).setTip(Point.newBuilder().setX(x).setY(y)).setRevision(revision).build();
    }

    private static <T> List<T> read(DevStack stack, String topic, com.google.protobuf.Parser<T> parser)
            throws Exception {
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            int idle = 0;
            long deadline = System.currentTimeMillis() + 15_000;
            while (System.currentTimeMillis() < deadline && idle < 4) {
                var records = consumer.poll(Duration.ofMillis(400));
                if (records.isEmpty() && !consumer.assignment().isEmpty()) {
                    idle++;
                }
                for (var record : records) {
                    out.add(parser.parseFrom(record.value()));
                }
            }
        }
        return out;
    }
}
