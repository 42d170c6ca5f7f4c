package tipstream.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import tipstream.dataset.BlobStore;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.FrameName;
import tipstream.dataset.InvalidFrameException;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.PlainName;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.Sha256;
import tipstream.dataset.Topics;
import tipstream.v1.FrameLabel;
import tipstream.v1.FrameRef;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

/**
 * Takes in one uploaded frame: checks it, stores the PNG content-addressed in S3, publishes its
 * FrameRef (and label, if any) on Kafka, then records it in the index. The index entry is written
 * last, so a crash part-way leaves the frame "not yet ingested" and a re-send completes it; a
 * frame found in the index is a duplicate and nothing is done.
 */
@ApplicationScoped
@Startup // its counters are scraped from the start at 0, not from the first frame on
public class FrameIngestor {
    /** The longest {@code source} (rig id) a frame may carry: it is written into every FrameRef and label. */
    static final int MAX_SOURCE_CHARS = 100;

    private final PngFrameCodec codec;
    private final FrameFormat format;
    private final BlobStore blobs;
    private final Producer<String, byte[]> producer;
    private final FrameIndex index;
    private final LabelPublisher labels;
    private final FrameLocks locks;
    private final Counter accepted;
    private final Counter duplicates;
    private final Counter rejected;
    private final Counter bytesStored;

    public FrameIngestor(PngFrameCodec codec, FrameFormat format, BlobStore blobs, Producer<String, byte[]> producer,
            FrameIndex index, LabelPublisher labels, FrameLocks locks, MeterRegistry registry) {
        this.codec = codec;
        this.format = format;
        this.blobs = blobs;
        this.producer = producer;
        this.index = index;
        this.labels = labels;
        this.locks = locks;
        this.accepted = registry.counter("tipstream.ingest.frames", "outcome", "accepted");
        this.duplicates = registry.counter("tipstream.ingest.frames", "outcome", "duplicate");
        this.rejected = registry.counter("tipstream.ingest.frames", "outcome", "rejected");
        this.bytesStored = registry.counter("tipstream.ingest.bytes.stored");
    }

    public enum Status { ACCEPTED, DUPLICATE, REJECTED }

    /** What became of one frame; {@code reason} is set for rejections. */
    public record Outcome(Status status, String frameName, String reason, long bytesStored, boolean labelPublished) {
        static Outcome rejected(String frameName, String reason) {
            return new Outcome(Status.REJECTED, frameName, reason, 0, false);
        }

        /** Counts this outcome into an upload's summary. */
        void addTo(UploadSummary.Builder summary) {
            switch (status) {
                case ACCEPTED -> summary.setAccepted(summary.getAccepted() + 1);
                case DUPLICATE -> summary.setDuplicates(summary.getDuplicates() + 1);
                case REJECTED -> Rejections.add(summary, frameName, reason);
            }
            summary.setBytesStored(summary.getBytesStored() + bytesStored);
            if (labelPublished) {
                summary.setLabelsPublished(summary.getLabelsPublished() + 1);
            }
        }
    }

    /**
     * The rejection of a frame refused on its sizes alone, before anything is decoded: PNG bytes over
     * the limit, a source over {@link #MAX_SOURCE_CHARS}. An upload stream answers these at once
     * rather than holding messages of up to the transport's limit for a worker (review R14).
     */
    public Optional<Outcome> refusedOnSize(UploadFrame upload) {
        Optional<String> problem = upload.getPng().size() > codec.maxBytes()
                ? Optional.of("frame is " + upload.getPng().size() + " bytes, over the limit of " + codec.maxBytes())
                : sourceProblem(upload.getSource());
        problem.ifPresent(p -> rejected.increment());
        return problem.map(p -> Outcome.rejected(upload.getFrameName(), p));
    }

    /** Why {@code source} cannot be a frame's source (rig id), or empty when it can: short, no control characters. */
    static Optional<String> sourceProblem(String source) {
        if (source.length() > MAX_SOURCE_CHARS || source.chars().anyMatch(Character::isISOControl)) {
            return Optional.of("source '" + PlainName.printable(source) + "' is not a rig id of at most "
                    + MAX_SOURCE_CHARS + " characters without control characters");
        }
        return Optional.empty();
    }

    /**
     * Ingests one frame. Bad input is a rejection with its reason; an S3 or Kafka failure is thrown
     * (the caller aborts the upload so the rig re-sends).
     */
    public Outcome ingest(UploadFrame upload) throws Exception {
        FrameName name;
        Optional<LabelPublisher.Tip> tip;
        PngFrameCodec.CheckedFrame frame;
        try {
            name = FrameName.parse(upload.getFrameName(), upload.getCaptureId());
            tip = upload.hasLabel() ? Optional.of(checkLabel(upload.getLabel())) : Optional.empty();
            sourceProblem(upload.getSource()).ifPresent(problem -> {
                throw new IllegalArgumentException(problem);
            });
            frame = codec.check(upload.getPng().toByteArray());
        } catch (IllegalArgumentException | InvalidFrameException e) {
            rejected.increment();
            return Outcome.rejected(upload.getFrameName(), e.getMessage());
        }
        String source = upload.getSource().isEmpty() ? "rig" : upload.getSource();
        Outcome outcome = locks.withLock(name, () -> store(name, frame, tip, source));
        (outcome.status() == Status.ACCEPTED ? accepted : outcome.status() == Status.DUPLICATE ? duplicates : rejected)
                .increment();
        bytesStored.increment(outcome.bytesStored());
        return outcome;
    }

    private Outcome store(FrameName name, PngFrameCodec.CheckedFrame frame, Optional<LabelPublisher.Tip> tip,
            String source) throws Exception {
        String sha = Sha256.hex(frame.png());
        Optional<FrameRef> known = index.frame(name);
        if (known.isPresent() && !known.get().getSha256().equals(sha)) {
            return Outcome.rejected(name.name(), "capture " + name.captureId() + " already has a frame named "
                    + name.name() + " with other content (sha256 " + known.get().getSha256() + ")");
        }
        long stored = 0;
        if (known.isEmpty()) {
            // content-addressed: writing it again is harmless, so no existence check first
            String key = ObjectKeys.frame(sha);
            blobs.put(key, frame.png(), "image/png");
            stored = frame.png().length;
            FrameRef ref = FrameRef.newBuilder()
                    .setCaptureId(name.captureId())
                    .setFrameName(name.name())
                    .setCamera(name.camera())
                    .setFrameIndex(name.index())
                    .setBlobKey(key)
                    .setSha256(sha)
                    .setWidth(frame.image().getWidth())
                    .setHeight(frame.image().getHeight())
                    .setSizeBytes(frame.png().length)
                    .setSource(source)
                    .setIngestedAtMs(System.currentTimeMillis())
                    .build();
            producer.send(new ProducerRecord<>(Topics.FRAMES, name.captureId(), ref.toByteArray())).get();
            index.recordFrame(ref);
        } else if (!blobs.exists(known.get().getBlobKey())) {
            // published before, but its blob is gone (a cleanup, a bucket migration): re-sending restores it
            blobs.put(known.get().getBlobKey(), frame.png(), "image/png");
            stored = frame.png().length;
        }
        boolean labelled = tip.isPresent() && labels.publish(name, tip.get(), source, known.isPresent());
        return new Outcome(known.isEmpty() ? Status.ACCEPTED : Status.DUPLICATE, name.name(), "", stored, labelled);
    }

    private LabelPublisher.Tip checkLabel(FrameLabel label) {
        double x = label.getTip().getX();
        double y = label.getTip().getY();
        format.labelProblem(label.getVisible(), label.hasTip(), x, y).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        return label.getVisible() ? new LabelPublisher.Tip(true, x, y, false) : LabelPublisher.Tip.NONE;
    }
}
