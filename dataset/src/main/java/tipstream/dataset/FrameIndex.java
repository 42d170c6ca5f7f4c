package tipstream.dataset;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Optional;
import tipstream.v1.FrameRef;
import tipstream.v1.TipLabel;

/**
 * What ingest has already published, kept in S3 beside the frames: the FrameRef of every frame
 * (written only after Kafka acknowledged it) and the latest TipLabel of every labelled frame.
 * It makes a re-sent frame or label a no-op, tells the CVAT importer which frames exist, and is
 * the record of every frame and label that outlives the topics' retention: augment reads from it
 * what the topics no longer hold (review R1).
 * Keys are built from names that {@link FrameName} has checked, never from raw input.
 */
public class FrameIndex {
    private static final String FRAMES = ObjectKeys.FRAME_INDEX;
    private static final String LABELS = ObjectKeys.LABEL_INDEX;

    private final BlobStore blobs;

    public FrameIndex(BlobStore blobs) {
        this.blobs = blobs;
    }

    public Optional<FrameRef> frame(FrameName name) {
        return frame(name.captureId() + "/" + name.name());
    }

    public void recordFrame(FrameRef ref) {
        blobs.put(FRAMES + ref.getCaptureId() + "/" + ref.getFrameName(), ref.toByteArray(), "application/x-protobuf");
    }

    public Optional<TipLabel> label(FrameName name) {
        return label(name.captureId() + "/" + name.name());
    }

    public void recordLabel(TipLabel label) {
        blobs.put(LABELS + label.getCaptureId() + "/" + label.getFrameName(), label.toByteArray(),
                "application/x-protobuf");
    }

    /** Names of every published frame of a capture. */
    public List<String> frameNames(String captureId) {
        return keysUnder(FRAMES + captureId + "/");
    }

    /** Every published frame, as {@code <capture>/<frame>} (a listing: no object is read). */
    public List<String> frameKeys() {
        return keysUnder(FRAMES);
    }

    /** Every labelled frame, as {@code <capture>/<frame>} (a listing: no object is read). */
    public List<String> labelKeys() {
        return keysUnder(LABELS);
    }

    /** A frame's FrameRef by its {@link #frameKeys()} key, if it is (still) there. */
    public Optional<FrameRef> frame(String key) {
        return blobs.find(FRAMES + key).map(bytes -> parse(bytes, FrameRef.parser()));
    }

    /** A frame's latest TipLabel by its {@link #labelKeys()} key, if it is (still) there. */
    public Optional<TipLabel> label(String key) {
        return blobs.find(LABELS + key).map(bytes -> parse(bytes, TipLabel.parser()));
    }

    private List<String> keysUnder(String prefix) {
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
