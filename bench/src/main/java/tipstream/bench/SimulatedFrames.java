package tipstream.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tipstream.augment.Augmentation;
import tipstream.augment.DatasetAssembler;
import tipstream.capturesim.RigClient.RigFrame;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Sha256;
import tipstream.v1.FrameRef;
import tipstream.v1.Point;
import tipstream.v1.TipLabel;

/** Simulated captures as augment sees them: frame references to PNG blobs, each with its label. */
final class SimulatedFrames {
    private SimulatedFrames() {
    }

    /** The captures' frames with their labels; each PNG goes into {@code blobs} under its reference's key. */
    static List<DatasetAssembler.LabelledFrame> labelled(List<SimulatedCapture> captures, Map<String, byte[]> blobs) {
        List<DatasetAssembler.LabelledFrame> labelled = new ArrayList<>();
        for (SimulatedCapture capture : captures) {
            for (RigFrame f : capture.labelledRigFrames()) {
                String sha = Sha256.hex(f.png());
                blobs.put(ObjectKeys.frame(sha), f.png());
                FrameRef ref = FrameRef.newBuilder().setCaptureId(f.captureId()).setFrameName(f.frameName())
                        .setBlobKey(ObjectKeys.frame(sha)).setSha256(sha).setWidth(528).setHeight(406).build();
                TipLabel label = TipLabel.newBuilder().setCaptureId(f.captureId()).setFrameName(f.frameName())
                        .setVisible(f.tipVisible()).setTip(Point.newBuilder().setX(Math.max(0, f.tipX()))
                                .setY(Math.max(0, f.tipY()))).setRevision(1).build();
                labelled.add(new DatasetAssembler.LabelledFrame(ref, label));
            }
        }
        return labelled;
    }

    /** A benchmark's {@code --baked} choice: every augmentation baked into the shards ("all"), or none ("none"). */
    static List<Augmentation> baked(String which) {
        return switch (which) {
            case "all" -> List.of(Augmentation.values());
            case "none" -> List.of();
            default -> throw new IllegalArgumentException("--baked is all or none, not " + which);
        };
    }
}
