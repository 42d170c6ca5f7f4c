package tipstream.ingest;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import jakarta.annotation.PreDestroy;
import org.jboss.logging.Logger;
import tipstream.dataset.CvatXmlReader.InvalidCvatException;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;
import tipstream.v1.Rejection;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

/**
 * The gRPC face of ingest. An upload is processed one frame at a time on worker threads, and the
 * next frame is requested from the rig only when the previous one is stored and published: the
 * rig is slowed to what S3 and Kafka take, and no upload piles up in memory.
 */
@GrpcService
public class IngestGrpcService extends IngestGrpc.IngestImplBase {
    private static final Logger LOG = Logger.getLogger(IngestGrpcService.class);

    private final FrameIngestor ingestor;
    private final CvatImporter importer;
    private final ExecutorService workers = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), runnable -> {
                Thread thread = new Thread(runnable, "ingest-worker");
                thread.setDaemon(true);
                return thread;
            });

    public IngestGrpcService(FrameIngestor ingestor, CvatImporter importer) {
        this.ingestor = ingestor;
        this.importer = importer;
    }

    @PreDestroy
    void stop() {
        workers.shutdown();
    }

    @Override
    public StreamObserver<UploadFrame> uploadCapture(StreamObserver<UploadSummary> responses) {
        ServerCallStreamObserver<UploadSummary> call = (ServerCallStreamObserver<UploadSummary>) responses;
        call.disableAutoRequest();
        call.request(1);
        return new Upload(call);
    }

    /** One upload stream: its frames run in order, each after the one before. */
    private final class Upload implements StreamObserver<UploadFrame> {
        private final ServerCallStreamObserver<UploadSummary> call;
        private final UploadSummary.Builder summary = UploadSummary.newBuilder();
        private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
        private volatile boolean failed;

        Upload(ServerCallStreamObserver<UploadSummary> call) {
            this.call = call;
        }

        @Override
        public synchronized void onNext(UploadFrame frame) {
            tail = tail.thenRunAsync(() -> {
                if (failed) {
                    return;
                }
                try {
                    record(ingestor.ingest(frame));
                    call.request(1);
                } catch (Exception e) {
                    failed = true;
                    LOG.errorf(e, "upload aborted at frame %s", frame.getFrameName());
                    call.onError(Status.UNAVAILABLE.withDescription("storing frame " + frame.getFrameName()
                            + " failed, re-send from this frame on: " + e.getMessage()).asRuntimeException());
                }
            }, workers);
        }

        private void record(FrameIngestor.Outcome outcome) {
            switch (outcome.status()) {
                case ACCEPTED -> summary.setAccepted(summary.getAccepted() + 1);
                case DUPLICATE -> summary.setDuplicates(summary.getDuplicates() + 1);
                case REJECTED -> summary.setRejected(summary.getRejected() + 1).addRejections(
                        Rejection.newBuilder().setFrameName(outcome.frameName()).setReason(outcome.reason()));
            }
            summary.setBytesStored(summary.getBytesStored() + outcome.bytesStored());
            if (outcome.labelPublished()) {
                summary.setLabelsPublished(summary.getLabelsPublished() + 1);
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            tail = tail.thenRunAsync(() -> LOG.warnf("upload stream cut off (%s) after %d accepted, %d duplicate,"
                    + " %d rejected frames; those are stored", Status.fromThrowable(t).getCode(),
                    summary.getAccepted(), summary.getDuplicates(), summary.getRejected()), workers);
        }

        @Override
        public synchronized void onCompleted() {
            tail = tail.thenRunAsync(() -> {
                if (failed) {
                    return;
                }
                UploadSummary result = summary.build();
                LOG.infof("upload done: %d accepted, %d duplicate, %d rejected, %d bytes stored",
                        result.getAccepted(), result.getDuplicates(), result.getRejected(), result.getBytesStored());
                call.onNext(result);
                call.onCompleted();
            }, workers);
        }
    }

    @Override
    @Blocking
    public void importCvat(CvatImport request, StreamObserver<ImportSummary> responses) {
        try {
            ImportSummary summary = importer.importExport(request.getXml().toByteArray(), request.getSourceName());
            LOG.infof("CVAT import %s: %d tip labels, %d no-tip labels, %d rejected", request.getSourceName(),
                    summary.getLabelsPublished(), summary.getNoTipLabels(), summary.getRejected());
            responses.onNext(summary);
            responses.onCompleted();
        } catch (InvalidCvatException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (Exception e) {
            LOG.error("CVAT import failed", e);
            responses.onError(Status.UNAVAILABLE.withDescription("import failed, nothing lost, retry: "
                    + e.getMessage()).asRuntimeException());
        }
    }
}
