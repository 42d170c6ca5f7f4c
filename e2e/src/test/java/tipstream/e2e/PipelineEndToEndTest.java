package tipstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.TopicSnapshot;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStack;
import tipstream.devstack.LiveHealth;
import tipstream.devstack.MetricsWatch;
import tipstream.devstack.PipelineServices;
import tipstream.eval.TfEventsFile;
import tipstream.v1.CheckpointReady;
import tipstream.v1.DeadLetter;
import tipstream.v1.PredictGrpc;
import tipstream.v1.PredictRequest;
import tipstream.v1.PredictResponse;
import tipstream.v1.TensorBoardEvent;
import tipstream.v1.UploadSummary;

/**
 * The whole pipeline as built: the four services' Quarkus apps in their own JVMs on the embedded
 * Kafka and S3. Simulated captures go in over gRPC; the evaluation of the last checkpoint comes
 * out of a gRPC metrics subscription and must beat the untrained network (step 0) on the same
 * eval frames by margins chance cannot reach; predict answers with the run's checkpoint; bad
 * announcements on the new topics land in their dead-letter topics while the pipeline goes on.
 */
class PipelineEndToEndTest {
    private static final Path PROJECT = Path.of(System.getProperty("tipstream.project.root", ".."));
    private static final long STEPS = 120;

    @Test
    void framesStreamedInComeOutAsAnEvaluatedModelThatBeatsTheUntrainedOne(@TempDir Path dir) throws Exception {
        String runId = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        int ingestPort = DevStack.freePort();
        int evalPort = DevStack.freePort();
        int augmentPort = DevStack.freePort();
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir.resolve("stack")));
                PipelineServices services = PipelineServices.start(stack, PROJECT, dir.resolve("logs"), List.of(
                        new PipelineServices.Service("ingest-service", ingestPort, "512m", Map.of()),
                        new PipelineServices.Service("augment-service", augmentPort, "1g", Map.of(
                                "tipstream.augment.interval-seconds", "2",
                                // with this salt the captures 00..03 fall in buckets 64, 13, 98, 99: 01 is
                                // eval (< 25), 00 validation (< 65), 02 and 03 train
                                "tipstream.augment.split-salt", "tipstream-v2",
                                "tipstream.augment.validation-percent", "40")),
                        new PipelineServices.Service("eval-service", evalPort, "1g", Map.of())),
                        Duration.ofMinutes(3));
                MetricsWatch watch = new MetricsWatch("127.0.0.1", evalPort, event -> { });
                KafkaProducer<String, byte[]> producer = stack.producer()) {
            // hostile records on the topics the new consumers read, before any real ones (the trainer
            // follows tipstream.shards from where it starts: its hostile record comes while it trains)
            producer.send(new ProducerRecord<>(Topics.CHECKPOINTS, runId, "not a checkpoint".getBytes())).get();
            producer.send(new ProducerRecord<>(Topics.CHECKPOINTS, runId, CheckpointReady.newBuilder().setRunId(runId)
                    .setStep(7).setDataset("lab").setDatasetVersion("1.0.0")
                    .setCheckpointKey(ObjectKeys.checkpoint(runId, 999_999_999_997L) + ".zip").build().toByteArray()))
                    .get();
            producer.send(new ProducerRecord<>(Topics.CHECKPOINTS, runId, CheckpointReady.newBuilder().setRunId(runId)
                    .setStep(7).setDataset("lab").setDatasetVersion("1.0.0").setCheckpointKey("models/best.pb").build()
                    .toByteArray())).get();
            String corrupt = ObjectKeys.checkpoint(runId, 999_999_999_998L) + ".zip";
            stack.blobStore().put(corrupt, "PK but not a model".getBytes(), "application/zip");
            producer.send(new ProducerRecord<>(Topics.CHECKPOINTS, runId, CheckpointReady.newBuilder().setRunId(runId)
                    .setStep(8).setDataset("lab").setDatasetVersion("1.0.0").setCheckpointKey(corrupt).build()
                    .toByteArray())).get();

            List<SimulatedCapture> session = LabSession.render(1, 4, 24);
            try (RigClient rig = new RigClient("127.0.0.1", ingestPort, "e2e-rig", null)) {
                for (SimulatedCapture capture : session) {
                    UploadSummary summary = rig.upload(capture.labelledRigFrames(), 3, n -> { });
                    assertThat(summary.getAccepted()).isEqualTo(24);
                }
            }

            // The trainer starts once augment has every record sent in a dataset version, so that
            // every checkpoint, the untrained one included, is evaluated on the same eval frames.
            long sent = TopicSnapshot.ends(stack.kafkaBootstrapServers(), List.of(Topics.FRAMES, Topics.LABELS), "e2e")
                    .values().stream().mapToLong(Long::longValue).sum();
            long augmentDeadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (LiveHealth.number(augmentPort, "records").orElse(0) < sent) {
                services.requireAlive();
                assertThat(System.nanoTime()).as("augment takes up the session").isLessThan(augmentDeadline);
                Thread.sleep(500);
            }
            int trainerPort = DevStack.freePort();
            try (PipelineServices trainer = PipelineServices.start(stack, PROJECT, dir.resolve("logs"), List.of(
                    new PipelineServices.Service("trainer-service", trainerPort, "1500m", Map.of(
                            "tipstream.trainer.run-id", runId, "tipstream.trainer.max-steps", Long.toString(STEPS),
                            "tipstream.trainer.checkpoint-every", "60", "tipstream.trainer.batch-size", "12",
                            "tipstream.trainer.warmup-steps", "10"))), Duration.ofMinutes(3))) {
                String eval = runId + "/eval";
                boolean[] hostileSent = {false};
                long last = watch.awaitLastEvaluation(runId, Duration.ofMinutes(15), () -> {
                    services.requireAlive();
                    trainer.requireAlive();
                    try {
                        if (!hostileSent[0] && LiveHealth.number(trainerPort, "step").orElse(0) >= 1) {
                            producer.send(new ProducerRecord<>(Topics.SHARDS, "lab", new byte[] {(byte) 0xff, 0x01, 0x02}))
                                    .get();
                            hostileSent[0] = true;
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(hostileSent[0]).as("a hostile announcement sent while the run trained").isTrue();
                assertThat(last).as("the run's last checkpoint, as it planned").isEqualTo(STEPS);
                // the comparison below is on the same eval frames: capture 01, all 24 of its frames
                assertThat(value(watch, eval, "eval/frames", 0)).isEqualTo(24);
                assertThat(value(watch, eval, "eval/frames", STEPS)).isEqualTo(24);
                double untrainedLoss = value(watch, eval, "metrics/loss", 0);
                double trainedLoss = value(watch, eval, "metrics/loss", STEPS);
                double trainedDistance = value(watch, eval, "localisation/dist_median", STEPS);
                double trainedPresence = value(watch, eval, "accuracy/prob_mean", STEPS);
                // Same 24 eval frames at step 0 and at the last step. Chance cannot pass: the untrained
                // loss is the network's own starting point (its location term log(858): a uniform
                // guess over the heatmap's cells), and the trained one must be below it (it was a quarter
                // below while the simulator's captures all started from one viewpoint; since each has its
                // own, the eval capture shows a view the two training captures never did, and 120 steps
                // take 7-14 % off, 2026-12-03); the localisation below is the firm check. A tip guessed
                // in a random one of the 858 cells lands ~170 px away on average (under 100 px for
                // about 1 frame in 7), so a median under 100 px over the 24 eval frames (every one shows
                // the tip; 12 such frames by chance: ~1e-4) needs real localisation. (67.5 px since the
                // augmentation stopped mirroring, 2026-12-02; 84 px once a second stage, barely trained in
                // 120 steps, places the tip again within its 80 px crop, 2026-12-03.)
                System.out.printf("e2e: eval loss %.3f untrained -> %.3f at step %d; localisation median %.1f px;"
                        + " prob_mean %.2f%n", untrainedLoss, trainedLoss, STEPS, trainedDistance, trainedPresence);
                assertThat(trainedLoss).isLessThan(untrainedLoss);
                // the threshold came from the validation capture, whose metrics are a run of their own
                watch.await(runId + "/validation", "presence/f1", STEPS, Duration.ofMinutes(1), services::requireAlive);
                assertThat(value(watch, eval, "presence/threshold", STEPS))
                        .isEqualTo(value(watch, runId + "/validation", "presence/threshold", STEPS));
                assertThat(trainedDistance).isLessThan(100);
                // Presence is not asserted: after 120 steps on two captures the presence head is not
                // yet sure of tips on a capture it never saw (prob_mean 0.00 to 1.0 over runs, at the
                // threshold the validation capture calibrated); BENCHMARKS.md measures presence.

                // train and eval series under the same tags, as two runs
                assertThat(watch.series(runId + "/train", "metrics/loss")).extracting(e -> e.getStep())
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, STEPS).boxed().toList());
                assertThat(watch.series(runId + "/train", "accuracy/overall_mean")).isNotEmpty();

                // predict answers with a checkpoint of this run, the tip in frame pixels
                RigClient.RigFrame frame = session.get(1).labelledRigFrames().get(0);
                var channel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", evalPort).usePlaintext().build();
                try {
                    PredictResponse answer = PredictGrpc.newBlockingStub(channel).predictTip(PredictRequest.newBuilder()
                            .setPng(ByteString.copyFrom(frame.png())).build());
                    assertThat(answer.getRunId()).isEqualTo(runId);
                    // the best on the validation capture: at this little training, possibly the untrained one
                    assertThat(answer.getCheckpointStep()).isIn(0L, 60L, STEPS);
                    assertThat(answer.getPresenceThreshold()).isBetween(0.0, 1.0);
                    if (answer.getTipPresent()) {
                        assertThat(answer.getTip().getX()).isBetween(0.0, 528.0);
                        assertThat(answer.getTip().getY()).isBetween(0.0, 406.0);
                    }
                } finally {
                    channel.shutdownNow();
                }

                // the hostile records were dead-lettered with their reasons, and nothing stopped
                assertThat(reasons(stack, Topics.SHARDS)).singleElement().asString().contains("undecodable");
                assertThat(reasons(stack, Topics.CHECKPOINTS)).hasSize(4)
                        .anySatisfy(r -> assertThat(r).contains("not a CheckpointReady"))
                        .anySatisfy(r -> assertThat(r).contains("step-999999999997.zip is missing"))
                        .anySatisfy(r -> assertThat(r).contains("'models/best.pb' is not a checkpoint's key"))
                        .anySatisfy(r -> assertThat(r).contains("step-999999999998.zip cannot be evaluated: not a"
                                + " saved network"));
                assertThat(stack.blobStore().list("runs/" + runId + "/checkpoints/")).isNotEmpty();

                // TensorBoard event files for both series catch up within their interval (15 s)
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                List<TensorBoardEvent> evalFile = List.of();
                while (System.nanoTime() < deadline && evalFile.stream().noneMatch(e -> e.getStep() == STEPS)) {
                    Thread.sleep(2000);
                    evalFile = eventFile(stack, "runs/" + runId + "/eval/");
                }
                assertThat(evalFile).filteredOn(e -> e.getStep() == STEPS).extracting(e -> e.getSummary().getValue(0).getTag())
                        .contains("accuracy/overall_mean", "metrics/dist_mean", "presence/f1");
                assertThat(eventFile(stack, "runs/" + runId + "/train/")).extracting(e -> e.getSummary().getValue(0).getTag())
                        .contains("metrics/loss", "optim/learning_rate", "accuracy/overall_mean");
            }
        }
    }

    /** The events of the one event file under a prefix (none yet: empty). */
    private static List<TensorBoardEvent> eventFile(DevStack stack, String prefix) throws Exception {
        var files = stack.blobStore().list(prefix);
        if (files.isEmpty()) {
            return List.of();
        }
        assertThat(files).hasSize(1);
        assertThat(files.get(0).objectName()).contains("events.out.tfevents.");
        List<TensorBoardEvent> events = TfEventsFile.read(stack.blobStore().get(files.get(0).objectName()));
        assertThat(events.get(0).getFileVersion()).isEqualTo(TfEventsFile.FILE_VERSION);
        return events.stream().filter(TensorBoardEvent::hasSummary).toList();
    }

    private static double value(MetricsWatch watch, String run, String tag, long step) {
        return watch.get(run, tag, step).orElseThrow().getValue();
    }

    private static List<String> reasons(DevStack stack, String topic) throws Exception {
        List<String> reasons = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : TopicSnapshot.read(stack.kafkaBootstrapServers(),
                List.of(Topics.deadLetter(topic)), "e2e")) {
            reasons.add(DeadLetter.parseFrom(record.value()).getReason());
        }
        return reasons;
    }
}
