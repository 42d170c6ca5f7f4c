package tipstream.eval;

import io.grpc.Status;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.awt.image.BufferedImage;
import java.util.List;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.InvalidFrameException;
import tipstream.dataset.PngFrameCodec;
import tipstream.model.TestTimeViews;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.v1.Point;
import tipstream.v1.PredictRequest;
import tipstream.v1.PredictResponse;
import tipstream.v1.PredictGrpc;

/** Finds the tip in one lab frame with the best checkpoint so far. */
@GrpcService
public class PredictGrpcService extends PredictGrpc.PredictImplBase {
    private final BestModel best;
    private final PngFrameCodec codec;
    private final double frameWidth;
    private final double frameHeight;
    private final int views;

    /**
     * Takes frames of the lab's size ({@code tipstream.frame.*}, as ingest does) and answers in their
     * pixels, from the views evaluation calibrated the best checkpoint's threshold on ({@link EvalConfig#views}).
     */
    public PredictGrpcService(BestModel best, @ConfigProperty(name = "tipstream.frame.width") int frameWidth,
            @ConfigProperty(name = "tipstream.frame.height") int frameHeight, EvalConfig config) {
        this.best = best;
        this.views = TestTimeViews.checked(config.views());
        this.codec = new PngFrameCodec(new FrameFormat(frameWidth, frameHeight), 16 << 20);
        this.frameWidth = frameWidth;
        this.frameHeight = frameHeight;
    }

    /**
     * On a worker thread (review R16): decoding and the network's views of a frame take a while,
     * and callers queue for the one network; on the event loop they would hold up health checks
     * and every other call that shares the loop (PredictServiceTest).
     */
    @Override
    @Blocking
    public void predictTip(PredictRequest request, StreamObserver<PredictResponse> responses) {
        BufferedImage frame;
        try {
            frame = codec.check(request.getPng().toByteArray()).image();
        } catch (InvalidFrameException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        var loaded = best.current();
        if (loaded.isEmpty()) {
            responses.onError(Status.UNAVAILABLE.withDescription("no checkpoint has been evaluated yet")
                    .asRuntimeException());
            return;
        }
        TipNet net = loaded.get().net();
        TipPrediction prediction;
        synchronized (net) { // a DL4J network is not safe for concurrent use
            prediction = TestTimeViews.locate(net, List.of(frame), net.encoding(frameWidth, frameHeight), views).get(0);
        }
        double threshold = loaded.get().best().getPresenceThreshold();
        PredictResponse.Builder response = PredictResponse.newBuilder()
                .setTipPresent(prediction.tipPresent(threshold)).setConfidence((float) prediction.presence())
                .setPresenceThreshold(threshold)
                .setRunId(loaded.get().best().getCheckpoint().getRunId())
                .setCheckpointStep(loaded.get().best().getCheckpoint().getStep());
        if (prediction.tipPresent(threshold)) {
            response.setTip(Point.newBuilder().setX(prediction.x()).setY(prediction.y()));
        }
        responses.onNext(response.build());
        responses.onCompleted();
    }
}
