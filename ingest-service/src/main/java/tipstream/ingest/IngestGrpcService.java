package tipstream.ingest;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import jakarta.annotation.PreDestroy;
import org.jboss.logging.Logger;
import tipstream.dataset.CvatXmlReader.InvalidCvatException;
import tipstream.dataset.PlainName;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

/**
 * The gRPC face of ingest. An upload is processed a few frames at a time on worker threads, and the
 * next frame is requested from the rig only when one before it is stored and published: the
 * rig is slowed to what S3 and Kafka take, and no upload piles up in memory.
 */
@GrpcService
public class IngestGrpcService extends IngestGrpc.IngestImplBase {
    private static final Logger LOG = Logger.getLogger(IngestGrpcService.class);

    private final FrameIngestor ingestor;
    private final CvatImporter importer;
    /** Frames of one upload stored at the same time: enough to overlap S3 and Kafka round trips. */
    static final int FRAMES_IN_FLIGHT = 8;

    private final ExecutorService workers = Executors.newFixedThreadPool(16, runnable -> {
                Thread thread = new Thread(runnable, "ingest-worker");
                thread.setDaemon(true);
                return thread;
            });

    /** Uploads taken at once; each holds up to {@link #FRAMES_IN_FLIGHT} frames (review R14). */
    private final Semaphore uploads;
    private final int maxUploads;
    private final Counter uploadsRefused;
    /** CVAT imports taken at once (review R15): each holds its export and a whole parse of it. */
    private final Semaphore imports;
    private final int maxImports;

    public IngestGrpcService(FrameIngestor ingestor, CvatImporter importer, IngestConfig config,
            MeterRegistry registry) {
        this.ingestor = ingestor;
        this.importer = importer;
        this.maxUploads = config.upload().maxConcurrent();
        this.uploads = new Semaphore(maxUploads);
        registry.gauge("tipstream.ingest.uploads.active", uploads, u -> maxUploads - u.availablePermits());
        this.uploadsRefused = registry.counter("tipstream.ingest.uploads.refused");
        this.maxImports = config.cvat().maxConcurrent();
        this.imports = new Semaphore(maxImports);
    }

    @PreDestroy
    void stop() {
        workers.shutdown();
    }

    @Override
    public StreamObserver<UploadFrame> uploadCapture(StreamObserver<UploadSummary> responses) {
        ServerCallStreamObserver<UploadSummary> call = (ServerCallStreamObserver<UploadSummary>) responses;
        if (!uploads.tryAcquire()) {
            uploadsRefused.increment();
            // UNAVAILABLE: rigs re-send the capture after a pause, as after a dropped link
            call.onError(Status.UNAVAILABLE.withDescription("ingest is taking " + maxUploads
                    + " uploads at once (tipstream.upload.max-concurrent); re-send the capture in a moment")
                    .asRuntimeException());
            return new Refused();
        }
        call.disableAutoRequest();
        call.request(FRAMES_IN_FLIGHT);
        return new Upload(call);
    }

    /** The rest of a stream refused at its start: its messages are dropped. */
    private static final class Refused implements StreamObserver<UploadFrame> {
        @Override
        public void onNext(UploadFrame frame) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    /**
     * One upload stream. Up to {@link #FRAMES_IN_FLIGHT} frames are stored at once (S3 and Kafka
     * round trips overlap); each frame is still stored and published whole, and a new one is asked
     * from the rig only when one is done.
     */
    private final class Upload implements StreamObserver<UploadFrame> {
        private final ServerCallStreamObserver<UploadSummary> call;
        private final UploadSummary.Builder summary = UploadSummary.newBuilder();
        private int inFlight;
        private boolean halfClosed;
        private boolean finished;
        private boolean released;

        Upload(ServerCallStreamObserver<UploadSummary> call) {
            this.call = call;
        }

        @Override
        public void onNext(UploadFrame frame) {
            Optional<FrameIngestor.Outcome> refused = ingestor.refusedOnSize(frame);
            synchronized (this) {
                if (refused.isPresent()) {
                    // answered here: a message of up to the transport's limit is not held for a worker
                    record(refused.get());
                    if (!finished) {
                        call.request(1);
                    }
                    return;
                }
                inFlight++;
            }
            workers.execute(() -> {
                try {
                    FrameIngestor.Outcome outcome = ingestor.ingest(frame);
                    synchronized (this) {
                        record(outcome);
                        if (!finished) {
                            call.request(1);
                        }
                    }
                } catch (Exception e) {
                    fail(frame, e);
                } finally {
                    synchronized (this) {
                        inFlight--;
                    }
                    finishIfDone();
                }
            });
        }

        private void record(FrameIngestor.Outcome outcome) {
            outcome.addTo(summary);
        }

        private synchronized void fail(UploadFrame frame, Exception e) {
            String name = PlainName.printable(frame.getFrameName());
            LOG.errorf(e, "upload aborted at frame %s", name);
            if (!finished) {
                finished = true;
                call.onError(Status.UNAVAILABLE.withDescription("storing frame " + name
                        + " failed, re-send the capture: " + e.getMessage()).asRuntimeException());
            }
        }

        /** The stream's place among the uploads taken at once, given back once it has ended and its frames are done. */
        private synchronized void releaseIfDone() {
            if (finished && inFlight == 0 && !released) {
                released = true;
                uploads.release();
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                finished = true; // nothing to answer; frames already handed to workers complete whole
                LOG.warnf("upload stream cut off (%s) after %d accepted, %d duplicate, %d rejected frames;"
                        + " those are stored", Status.fromThrowable(t).getCode(), summary.getAccepted(),
                        summary.getDuplicates(), summary.getRejected());
            }
            releaseIfDone();
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                halfClosed = true;
            }
            finishIfDone();
        }

        /** Answers the summary once the rig is done sending and every frame is done; then gives back the place. */
        private synchronized void finishIfDone() {
            if (halfClosed && inFlight == 0 && !finished) {
                finished = true;
                UploadSummary result = summary.build();
                LOG.infof("upload done: %d accepted, %d duplicate, %d rejected, %d bytes stored",
                        result.getAccepted(), result.getDuplicates(), result.getRejected(), result.getBytesStored());
                call.onNext(result);
                call.onCompleted();
            }
            releaseIfDone();
        }
    }

    /**
     * Whether the client of a call has gone (cancelled it, or its deadline passed): from the call's own observer, or
     * from the gRPC context the call arrived in.
     */
    private static BooleanSupplier cancelled(StreamObserver<?> responses) {
        Context context = Context.current();
        return responses instanceof ServerCallStreamObserver<?> call ? () -> call.isCancelled() || context.isCancelled()
                : context::isCancelled;
    }

    @Override
    @Blocking
    public void importCvat(CvatImport request, StreamObserver<ImportSummary> responses) {
        if (!imports.tryAcquire()) {
            responses.onError(Status.UNAVAILABLE.withDescription("ingest is taking " + maxImports
                    + " CVAT imports at once (tipstream.cvat.max-concurrent); send the export again in a moment")
                    .asRuntimeException());
            return;
        }
        try {
            ImportSummary summary = importer.importExport(new CvatImporter.Request(request.getXml().toByteArray(),
                    request.getSourceName(), request.getLabel(), request.getVideoCapture(), cancelled(responses)));
            LOG.infof("CVAT import %s (%s, label '%s', %d frames covered): %d tip labels, %d no-tip labels, %d rejected",
                    PlainName.printable(request.getSourceName()), summary.getFormat(),
                    PlainName.printable(summary.getLabel()), summary.getFramesCovered(), summary.getLabelsPublished(),
                    summary.getNoTipLabels(), summary.getRejected());
            responses.onNext(summary);
            responses.onCompleted();
        } catch (InvalidCvatException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (CancellationException e) {
            LOG.infof("CVAT import %s %s", PlainName.printable(request.getSourceName()), e.getMessage());
        } catch (Exception e) {
            LOG.error("CVAT import failed", e);
            responses.onError(Status.UNAVAILABLE.withDescription("import failed, nothing lost, retry: "
                    + e.getMessage()).asRuntimeException());
        } finally {
            imports.release();
        }
    }
}
