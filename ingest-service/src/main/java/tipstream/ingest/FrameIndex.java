package tipstream.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import tipstream.dataset.BlobStore;
import tipstream.dataset.FrameName;
import tipstream.v1.FrameRef;
import tipstream.v1.TipLabel;

/**
 * What ingest has already published, kept in S3 beside the frames: the FrameRef of every frame
 * (written only after Kafka acknowledged it) and the latest TipLabel of every labelled frame.
 * It makes a re-sent frame or label a no-op, and tells the CVAT importer which frames exist.
 * Keys are built from names that {@link FrameName} has checked, never from raw input.
 */
@ApplicationScoped
public class FrameIndex {
    private static final String FRAMES = "index/frames/";
    private static final String LABELS = "index/labels/";

    private final BlobStore blobs;

    public FrameIndex(BlobStore blobs) {
        this.blobs = blobs;
    }

    public Optional<FrameRef> frame(FrameName name) {
        return blobs.find(FRAMES + name.captureId() + "/" + name.name()).map(bytes -> parse(bytes, FrameRef.parser()));
    }

    public void recordFrame(FrameRef ref) {
        blobs.put(FRAMES + ref.getCaptureId() + "/" + ref.getFrameName(), ref.toByteArray(), "application/x-protobuf");
    }

    public Optional<TipLabel> label(FrameName name) {
        return blobs.find(LABELS + name.captureId() + "/" + name.name()).map(bytes -> parse(bytes, TipLabel.parser()));
    }

    public void recordLabel(TipLabel label) {
        blobs.put(LABELS + label.getCaptureId() + "/" + label.getFrameName(), label.toByteArray(),
                "application/x-protobuf");
    }

    /** Names of every published frame of a capture. */
    public List<String> frameNames(String captureId) {
        String prefix = FRAMES + captureId + "/";
        return blobs.list(prefix).stream().map(item -> item.objectName().substring(prefix.length())).toList();
    }

    private static <T> T parse(byte[] bytes, com.google.protobuf.Parser<T> parser) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt index object: " + e.getMessage(), e);
        }
    }
}
