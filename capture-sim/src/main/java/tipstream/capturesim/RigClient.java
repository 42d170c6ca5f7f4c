package tipstream.capturesim;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import tipstream.v1.CvatImport;
import tipstream.v1.FrameLabel;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;
import tipstream.v1.Point;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

/**
 * Streams a capture to the ingest service the way a rig does: one client-streaming call per
 * capture, sending only as fast as the service asks for frames (gRPC flow control). When the
 * link drops or the service is unavailable, the whole capture is sent again: ingest makes the
 * frames it already has no-ops.
 */
public final class RigClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final IngestGrpc.IngestStub stub;
    private final String rigId;
    private final CallCredentials credentials;

    /** One frame as the rig sends it: PNG bytes and, when known, whether and where the tip is. */
    public record RigFrame(String captureId, String frameName, byte[] png, Boolean tipVisible, double tipX, double tipY) {
        public static RigFrame unlabelled(String captureId, String frameName, byte[] png) {
            return new RigFrame(captureId, frameName, png, null, -1, -1);
        }
    }

    public RigClient(String host, int port, String rigId, String bearerToken) {
        this.channel = ManagedChannelBuilder.forAddress(host, port).usePlaintext()
                .maxInboundMessageSize(16 << 20).build();
        this.credentials = bearerToken == null || bearerToken.isBlank() ? null : bearer(bearerToken);
        this.stub = IngestGrpc.newStub(channel).withCallCredentials(credentials);
        this.rigId = rigId;
    }

    public ManagedChannel channel() {
        return channel;
    }

    /**
     * Uploads the frames; on a transient failure (unavailable, cut off) re-sends all of them, up to
     * {@code attempts} times. {@code progress} hears the count of frames handed to gRPC so far.
     */
    public UploadSummary upload(List<RigFrame> frames, int attempts, IntConsumer progress) throws InterruptedException {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                return uploadOnce(frames, progress);
            } catch (io.grpc.StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.CANCELLED
                        && code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.ABORTED) {
                    throw e;
                }
                last = e;
                Thread.sleep(Math.min(10_000, 500L << attempt));
            }
        }
        throw last;
    }

    /** Sends a CVAT for images 1.1 export; its boxes become tip labels of frames already uploaded. */
    public ImportSummary importCvat(Path xml) throws java.io.IOException {
        return IngestGrpc.newBlockingStub(channel).withCallCredentials(credentials)
                .importCvat(CvatImport.newBuilder().setXml(ByteString.copyFrom(Files.readAllBytes(xml)))
                        .setSourceName(xml.getFileName().toString()).build());
    }

    private UploadSummary uploadOnce(List<RigFrame> frames, IntConsumer progress) throws InterruptedException {
        CompletableFuture<UploadSummary> result = new CompletableFuture<>();
        Iterator<RigFrame> pending = frames.iterator();
        int[] sent = {0};
        boolean[] halfClosed = {false};
        stub.uploadCapture(new ClientResponseObserver<UploadFrame, UploadSummary>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<UploadFrame> requests) {
                // Send whenever the transport has room: the service's pace sets the rig's.
                requests.setOnReadyHandler(() -> {
                    while (requests.isReady() && pending.hasNext()) {
                        requests.onNext(toMessage(pending.next()));
                        progress.accept(++sent[0]);
                    }
                    if (!pending.hasNext() && !halfClosed[0]) {
                        halfClosed[0] = true;
                        requests.onCompleted();
                    }
                });
            }

            @Override
            public void onNext(UploadSummary summary) {
                result.complete(summary);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(UploadSummary.getDefaultInstance());
            }
        });
        try {
            return result.get(30, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("upload took over 30 minutes").asRuntimeException();
        }
    }

    private UploadFrame toMessage(RigFrame frame) {
        UploadFrame.Builder message = UploadFrame.newBuilder()
                .setCaptureId(frame.captureId())
                .setFrameName(frame.frameName())
                .setPng(ByteString.copyFrom(frame.png()))
                .setSource(rigId);
        if (frame.tipVisible() != null) {
            FrameLabel.Builder label = FrameLabel.newBuilder().setVisible(frame.tipVisible());
            if (frame.tipVisible()) {
                label.setTip(Point.newBuilder().setX(frame.tipX()).setY(frame.tipY()));
            }
            message.setLabel(label);
        }
        return message.build();
    }

    /** The bearer token as call credentials, as every service expects it. */
    public static CallCredentials bearer(String token) {
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(authorization, "Bearer " + token);
                applier.apply(headers);
            }
        };
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
        }
    }
}
