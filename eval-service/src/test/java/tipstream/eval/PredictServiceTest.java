package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import com.google.common.util.concurrent.ListenableFuture;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import tipstream.dataset.PngFrameCodec;
import tipstream.devstack.DevStackResource;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.v1.CheckpointReady;
import tipstream.v1.PredictGrpc;
import tipstream.v1.PredictRequest;
import tipstream.v1.PredictResponse;

/** Predict over real gRPC: hostile frames are refused with the reason, no model is UNAVAILABLE. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@Order(1) // first: it starts from a service with no model yet
class PredictServiceTest {
    @Inject
    BestModel best;

    @Test
    void refusesBadFramesWaitsForAModelThenAnswersWithTheBestCheckpoint() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            PredictGrpc.PredictBlockingStub predict = PredictGrpc.newBlockingStub(channel);
            byte[] truncated = Arrays.copyOf(PngFrameCodec.encode(frame(528, 406)), 200);
            for (byte[] hostile : new byte[][] {new byte[0], "not a png".getBytes(), truncated,
                PngFrameCodec.encode(frame(100, 100))}) {
                StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                        () -> predict.predictTip(PredictRequest.newBuilder().setPng(ByteString.copyFrom(hostile))
                                .build()));
                assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(refused.getStatus().getDescription()).isNotBlank();
            }

            PredictRequest good = PredictRequest.newBuilder()
                    .setPng(ByteString.copyFrom(PngFrameCodec.encode(frame(528, 406)))).build();
            StatusRuntimeException noModel = catchThrowableOfType(StatusRuntimeException.class,
                    () -> predict.predictTip(good));
            assertThat(noModel.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

            CheckpointReady checkpoint = CheckpointReady.newBuilder().setRunId("predict-test").setStep(40)
                    .setCheckpointKey("runs/predict-test/checkpoints/step-000000000040.zip").build();
            // a threshold calibrated on validation above any confidence: served with the checkpoint
            assertThat(best.offer(checkpoint, TipNet.build(TipNetConfig.standard()),
                    new CheckpointEvaluator.Evaluation(new TipMetrics(1.01), 3.0, 0.5, 0.5),
                    new BestModel.Scoring("validation", "lab 1.0.0", 10, other -> {
                        throw new AssertionError("nothing to score again");
                    }))).isTrue();
            PredictResponse answer = predict.predictTip(good);
            assertThat(answer.getRunId()).isEqualTo("predict-test");
            assertThat(answer.getCheckpointStep()).isEqualTo(40);
            assertThat(answer.getConfidence()).isBetween(0f, 1f);
            assertThat(answer.getPresenceThreshold()).isEqualTo(1.01);
            assertThat(answer.getTipPresent()).isFalse();
            assertThat(answer.hasTip()).isFalse();

            predictionsWaitingForTheNetworkLeaveHealthChecksServed(port, good);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Review R16: predict runs off the event loop. While the network is busy (its lock held here),
     * predictions on more connections than there are event loops wait for it; health checks, which
     * share the event loops, still answer. On the event loop the predictions would hold every loop.
     */
    private void predictionsWaitingForTheNetworkLeaveHealthChecksServed(int port, PredictRequest request)
            throws Exception {
        int calls = 4 * Runtime.getRuntime().availableProcessors(); // Quarkus runs 2 event loops a core
        List<ManagedChannel> channels = new ArrayList<>();
        List<ListenableFuture<PredictResponse>> answers = new ArrayList<>();
        try {
            synchronized (best.current().orElseThrow().net()) {
                for (int i = 0; i < calls; i++) {
                    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
                    channels.add(channel);
                    answers.add(PredictGrpc.newFutureStub(channel).predictTip(request));
                }
                Thread.sleep(1000); // every call has reached the network's lock
                HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/q/health/live")).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                // both consuming threads are alive (ConsumersLivenessCheck)
                assertThat(health.body()).contains("\"consumers\"").contains("\"checkpoint-evaluations\": true")
                        .contains("\"metric-events\": true");
            }
            for (ListenableFuture<PredictResponse> answer : answers) {
                assertThat(answer.get(60, TimeUnit.SECONDS).getCheckpointStep()).isEqualTo(40);
            }
        } finally {
            for (ManagedChannel channel : channels) {
                channel.shutdownNow();
            }
        }
    }

    private static BufferedImage frame(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(width / 2, height / 2, 0, 255);
        return image;
    }
}
