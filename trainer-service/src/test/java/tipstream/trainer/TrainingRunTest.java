package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Shard;
import tipstream.dataset.Topics;
import tipstream.dataset.WriterFence;
import tipstream.devstack.DevStack;
import tipstream.devstack.FailingSends;
import tipstream.model.TipNetConfig;
import tipstream.v1.CheckpointReady;
import tipstream.v1.DatasetSample;
import tipstream.v1.MetricEvent;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;

/** A run killed between checkpoints resumes from the last one, on the real Kafka and S3. */
class TrainingRunTest {
    private static final TipNetConfig TINY = new TipNetConfig(TipNetConfig.Head.HEATMAP, 16, 20, 4, List.of(8, 8), List.of(), 8,
            List.of(1), 3e-3, 5, 1.0, 1.0, 1, true);

    private static List<ShardEntry> writeShards(BlobStore blobs, int count) {
        List<ShardEntry> shards = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<DatasetSample> samples = new ArrayList<>();
            for (int j = 0; j < 8; j++) {
                BufferedImage image = new BufferedImage(20, 16, BufferedImage.TYPE_BYTE_GRAY);
                image.getRaster().setSample((i * 3 + j) % 20, (j * 5) % 16, 0, 220);
                samples.add(DatasetSample.newBuilder().setCaptureId("c" + i).setFrameName("f" + i + "-" + j)
                        .setPng(ByteString.copyFrom(PngFrameCodec.encode(image))).setVisible(true)
                        .setTip(Point.newBuilder().setX((i * 3 + j) % 20 + 0.5).setY((j * 5) % 16 + 0.5)).build());
            }
            String key = String.format("datasets/tiny/1.0.0/train/shard-%05d.tshard", i);
            byte[] bytes = Shard.write(samples);
            blobs.put(key, bytes, "application/octet-stream");
            shards.add(Shard.entry(key, "train", samples.size(), bytes));
        }
        return shards;
    }

    private static final LearningRateSchedule SCHEDULE = new LearningRateSchedule(2e-3, 1e-5, 5, 30);

    @Test
    void killedRunResumesFromItsLastCheckpointAndPublishesEveryStepOnce(@TempDir Path dir) throws Exception {
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, 5); // 40 samples: 10 batches of 4 per epoch
            String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
            TrainingRun.Settings settings = new TrainingRun.Settings(runId, "lab", TINY,
                    Optional.of(new RandomAugmentation(RandomAugmentation.standard())), 20, 16, 4, 10, 11, 5, 3, 2, 1 << 20,
                    SCHEDULE, TrainingBudget.steps(SCHEDULE.totalSteps()), 5, TrainingRun.Transfer.NONE);

            List<List<String>> firstLife = new ArrayList<>();
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                run.trainUntil(25, b -> firstLife.add(names(b)));
            } // killed at step 25: steps 21-25 never reached a checkpoint

            List<List<String>> secondLife = new ArrayList<>();
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                assertThat(run.step()).isEqualTo(20);
                run.trainUntil(30, b -> secondLife.add(names(b)));
                assertThat(run.step()).isEqualTo(30);
            }
            // the resumed run sees the batches the first life saw after its last checkpoint
            assertThat(secondLife.subList(0, 5)).isEqualTo(firstLife.subList(20, 25));

            List<MetricEvent> events = read(stack, Topics.METRICS, MetricEvent.parser(), runId + "/train");
            List<MetricEvent> losses = events.stream().filter(e -> e.getTag().equals("metrics/loss")).toList();
            assertThat(losses).extracting(MetricEvent::getStep)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 30).boxed().toList());
            // the resumed run goes on along the same schedule: each step used (and reported) its rate
            List<MetricEvent> rates = events.stream().filter(e -> e.getTag().equals("optim/learning_rate")).toList();
            assertThat(rates).hasSize(30).allSatisfy(e -> assertThat(e.getValue())
                    .isCloseTo(SCHEDULE.at(e.getStep()), org.assertj.core.data.Offset.offset(1e-12)));
            // accuracy on the training batch every 5 steps, each a share in [0, 1] (point_mean is
            // undefined, NaN, on a batch where the young network detects no tip at all)
            assertThat(events.stream().filter(e -> e.getTag().equals("accuracy/overall_mean")))
                    .extracting(MetricEvent::getStep).containsExactly(5L, 10L, 15L, 20L, 25L, 30L);
            assertThat(events.stream().filter(e -> e.getTag().startsWith("accuracy/"))
                    .filter(e -> !(e.getTag().equals("accuracy/point_mean") && Double.isNaN(e.getValue()))))
                    .allSatisfy(e -> assertThat(e.getValue()).isBetween(0.0, 1.0));
            List<CheckpointReady> checkpoints = read(stack, Topics.CHECKPOINTS, CheckpointReady.parser(), runId);
            assertThat(checkpoints).extracting(CheckpointReady::getStep).containsExactly(10L, 20L, 30L);
            assertThat(checkpoints.get(2).getEpoch()).isEqualTo(2);
            assertThat(checkpoints.get(2).getDataset()).isEqualTo("lab");
            assertThat(blobs.exists(checkpoints.get(2).getCheckpointKey())).isTrue();
        }
    }

    @Test
    void aRunWithATimeLimitPlansItsStepsEndsItsScheduleThereAndKeepsThePlanWhenResumed(@TempDir Path dir)
            throws Exception {
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, 5);
            String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
            // this machine trains ~16 of these tiny steps a second: 100 steps are about 6 of the 15 s
            TrainingBudget budget = new TrainingBudget(1_000_000, Optional.of(Duration.ofSeconds(15)));
            TrainingRun.Settings settings = new TrainingRun.Settings(runId, "lab", TINY, Optional.empty(), 20, 16, 4, 60,
                    11, 1_000_000, 3, 2, 0, SCHEDULE, budget, 1000, TrainingRun.Transfer.NONE);
            long planned;
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                run.trainUntil(TrainingRun.PLAN_EVERY - 1, b -> { });
                assertThat(run.finalStep()).as("no pace measured yet").isEqualTo(1_000_000);
                run.trainUntil(TrainingRun.PLAN_EVERY, b -> { });
                planned = run.finalStep();
                assertThat(planned).as("the steps that fit in 15 s").isGreaterThan(TrainingRun.PLAN_EVERY)
                        .isLessThan(1_000_000);
                run.trainUntil(100, b -> { });
            } // killed after step 100: resumes from its checkpoint at step 60
            CheckpointReady atSixty = TrainingRun.lastCheckpoint(blobs, runId).orElseThrow();
            assertThat(atSixty.getStep()).isEqualTo(60);
            assertThat(atSixty.getTrainingSeconds()).isGreaterThan(0);
            assertThat(atSixty.getFinalStep()).as("time left at step 60").isGreaterThan(60);
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                assertThat(run.finalStep()).as("the plan it resumed with").isEqualTo(atSixty.getFinalStep());
                while (run.step() < run.finalStep()) {
                    run.trainUntil(run.step() + 1, b -> { });
                }
                assertThat(run.trainedSeconds()).as("both lives' training, to the time limit")
                        .isGreaterThan(atSixty.getTrainingSeconds()).isBetween(12.0, 30.0);
                if (run.step() % 60 != 0) {
                    run.checkpoint();
                }
            }
            CheckpointReady last = TrainingRun.lastCheckpoint(blobs, runId).orElseThrow();
            assertThat(last.getFinalStep()).as("the last checkpoint is where the run was planned to end")
                    .isEqualTo(last.getStep());
            List<MetricEvent> events = read(stack, Topics.METRICS, MetricEvent.parser(), runId + "/train");
            MetricEvent lastRate = events.stream().filter(e -> e.getTag().equals("optim/learning_rate"))
                    .max(java.util.Comparator.comparingLong(MetricEvent::getStep)).orElseThrow();
            assertThat(lastRate.getStep()).isEqualTo(last.getStep());
            // planned again every 50 steps, the schedule ends where the time does: at its floor, or
            // within the last steps of its decay when the pace fell in the plan's last 50 steps
            assertThat(lastRate.getValue()).as("the schedule ended with the run")
                    .isLessThan(SCHEDULE.peak() * 0.05);
            assertThat(events.stream().filter(e -> e.getTag().equals("optim/final_step")))
                    .extracting(MetricEvent::getStep).contains(60L, last.getStep());
        }
    }

    @Test
    void aCheckpointWhoseAnnouncementFailedIsAnnouncedWhenTheRunResumes(@TempDir Path dir) throws Exception {
        // review R11: the checkpoint at step 10 was stored but the transaction announcing it never
        // committed, so eval never saw it and the metrics of steps 1-10 were lost with the process
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, 5);
            String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
            TrainingRun.Settings settings = plainRun(runId);
            WriterFence commitFails = new WriterFence(FailingSends.firstCommit(transactionalProducer(stack, runId)));
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, commitFails, shards, "1.0.0")) {
                // the first commit (step 10) fails: the process dies there, its transaction open
                assertThatThrownBy(() -> run.trainUntil(20, b -> { })).hasMessageContaining("broker not available");
            }
            assertThat(blobs.exists("runs/" + runId + "/checkpoints/step-000000000010.state")).isTrue();
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                assertThat(run.step()).isEqualTo(10);
                run.trainUntil(20, b -> { });
            }
            List<CheckpointReady> checkpoints = read(stack, Topics.CHECKPOINTS, CheckpointReady.parser(), runId);
            assertThat(checkpoints).extracting(CheckpointReady::getStep).containsExactly(10L, 20L);
            List<MetricEvent> losses = read(stack, Topics.METRICS, MetricEvent.parser(), runId + "/train").stream()
                    .filter(e -> e.getTag().equals("metrics/loss")).toList();
            assertThat(losses).extracting(MetricEvent::getStep)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList());
        }
    }

    @Test
    void aCheckpointWhoseNetworkIsGoneOrBrokenIsPassedOverForTheOneBefore(@TempDir Path dir) throws Exception {
        // review R11: a state whose network is missing or does not load failed every restart of the trainer
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, 5);
            String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
            TrainingRun.Settings settings = plainRun(runId);
            List<List<String>> firstLife = new ArrayList<>();
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                run.trainUntil(30, b -> firstLife.add(names(b)));
            }
            String checkpoints = "runs/" + runId + "/checkpoints/";
            blobs.delete(checkpoints + "step-000000000030.zip");
            blobs.put(checkpoints + "step-000000000020.zip", "not a network".getBytes(StandardCharsets.UTF_8),
                    "application/zip");
            List<List<String>> secondLife = new ArrayList<>();
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                assertThat(run.step()).isEqualTo(10);
                run.trainUntil(15, b -> secondLife.add(names(b)));
            }
            assertThat(secondLife).isEqualTo(firstLife.subList(10, 15));

            assertThat(TrainingRun.lastDatasetVersion(blobs, runId)).contains("1.0.0");
            blobs.delete(checkpoints + "step-000000000010.zip");
            blobs.put(checkpoints + "step-000000000030.state", new byte[] {(byte) 0xff, 0x01}, "application/x-protobuf");
            assertThatThrownBy(() -> TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has 3 checkpoints and none of them loads");
            // the version is read from the newest state that parses
            assertThat(TrainingRun.lastDatasetVersion(blobs, runId)).contains("1.0.0");
        }
    }

    @Test
    void aSecondTrainerOfTheSameRunFencesTheFirstBeforeItWritesAnything(@TempDir Path dir) throws Exception {
        // review R12: a pod on a partitioned node and its replacement train the same run
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, 5);
            String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
            TrainingRun.Settings settings = plainRun(runId);
            try (TrainingRun first = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                first.trainUntil(10, b -> { });
                try (TrainingRun second = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards,
                        "1.0.0")) {
                    assertThat(second.step()).isEqualTo(10);
                    // the first goes on to its next checkpoint and is stopped there, having stored nothing
                    assertThatThrownBy(() -> first.trainUntil(20, b -> { })).isInstanceOf(WriterFence.TakenOver.class)
                            .hasMessageContaining("run " + runId + " has another writer");
                    assertThat(blobs.exists("runs/" + runId + "/checkpoints/step-000000000020.zip")).isFalse();
                    assertThat(blobs.exists("runs/" + runId + "/checkpoints/step-000000000020.state")).isFalse();
                    second.trainUntil(20, b -> { });
                }
            }
            List<CheckpointReady> checkpoints = read(stack, Topics.CHECKPOINTS, CheckpointReady.parser(), runId);
            assertThat(checkpoints).extracting(CheckpointReady::getStep).containsExactly(10L, 20L);
            for (CheckpointReady checkpoint : checkpoints) {
                String state = checkpoint.getCheckpointKey().replace(".zip", ".state");
                assertThat(CheckpointReady.parseFrom(blobs.get(state))).isEqualTo(checkpoint);
            }
            List<MetricEvent> losses = read(stack, Topics.METRICS, MetricEvent.parser(), runId + "/train").stream()
                    .filter(e -> e.getTag().equals("metrics/loss")).toList();
            assertThat(losses).extracting(MetricEvent::getStep)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList());
        }
    }

    @Test
    void runStartsFromAPretrainedEncoderWithItsFirstBlocksFrozenUntilTheUnfreezeStep(@TempDir Path dir)
            throws Exception {
        TipNetConfig shape = new TipNetConfig(TipNetConfig.Head.HEATMAP, 16, 20, 4, List.of(8, 8), List.of(), 8,
                List.of(1), 3e-3, 5, 1.0, 1.0, 2, false);
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, 3);
            String key = EncoderPretrainer.pretrain(blobs, shards, shape, Optional.empty(), 20, 16, 4, 20,
                    LearningRateSchedule.constant(2e-3), 3, 2);
            byte[] stored = blobs.get(key);
            assertThat(key).isEqualTo("encoders/" + tipstream.dataset.Sha256.hex(stored) + ".zip");
            var encoder = tipstream.model.PretrainedEncoder.fromBytes(stored);

            String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
            TrainingRun.Settings settings = new TrainingRun.Settings(runId,
                    "lab", shape, Optional.empty(), 20, 16, 4, 100, 11, 50, 3, 2, 0, SCHEDULE, TrainingBudget.steps(SCHEDULE.totalSteps()), 100,
                    new TrainingRun.Transfer(Optional.of(key), "stem", 6));
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs, fence(stack, runId), shards, "1.0.0")) {
                var net = run.net().network();
                for (String layer : List.of("stem", "stage1", "stage2")) {
                    assertThat(net.getLayer(layer).params()).as(layer).isEqualTo(encoder.network().getLayer(layer).params());
                }
                run.trainUntil(6, b -> { });
                assertThat(net.getLayer("stem").params()).as("frozen through step 6")
                        .isEqualTo(encoder.network().getLayer("stem").params());
                assertThat(net.getLayer("stage1").params()).isNotEqualTo(encoder.network().getLayer("stage1").params());
                run.trainUntil(8, b -> { });
                assertThat(net.getLayer("stem").params()).as("training from step 7")
                        .isNotEqualTo(encoder.network().getLayer("stem").params());
            }
            // a key that holds no encoder is refused with the reason
            TrainingRun.Settings wrong = new TrainingRun.Settings("run-x", "lab", shape, Optional.empty(), 20, 16, 4,
                    100, 11, 50, 3, 2, 0, SCHEDULE, TrainingBudget.steps(SCHEDULE.totalSteps()), 100, new TrainingRun.Transfer(Optional.of(shards.get(0).getKey()), "", 0));
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> TrainingRun.startOrResume(wrong, blobs, fence(stack, "run-x"), shards, "1.0.0"))
                    .hasMessageContaining("not a saved network");
        }
    }

    /** A run of TINY without random augmentation: batches of 4, a checkpoint every 10 steps. */
    private static TrainingRun.Settings plainRun(String runId) {
        return new TrainingRun.Settings(runId, "lab", TINY, Optional.empty(), 20, 16, 4, 10, 11, 5, 3, 2, 0, SCHEDULE, TrainingBudget.steps(SCHEDULE.totalSteps()), 5,
                TrainingRun.Transfer.NONE);
    }

    /** A run's fence, as the trainer opens it. */
    private static WriterFence fence(DevStack stack, String runId) {
        return WriterFence.open(stack.kafkaBootstrapServers(), WriterFence.trainerOf(runId));
    }

    /** A run's transactional producer, as the trainer's fence has it. */
    private static Producer<String, byte[]> transactionalProducer(DevStack stack, String runId) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, WriterFence.trainerOf(runId)), new StringSerializer(),
                new ByteArraySerializer());
    }

    private static List<String> names(TrainingBatch batch) {
        return batch.samples().stream().map(DatasetSample::getFrameName).toList();
    }

    private static <T> List<T> read(DevStack stack, String topic, com.google.protobuf.Parser<T> parser, String key)
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
                    if (key.equals(record.key())) {
                        out.add(parser.parseFrom(record.value()));
                    }
                }
            }
        }
        return out;
    }
}
