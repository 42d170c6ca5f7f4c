package tipstream.capturesim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import tipstream.capturesim.RigClient.RigFrame;

/** One capture: the frames a rig recorded along one arm trajectory. */
public record SimulatedCapture(String captureId, ArmTrajectory.Kind kind, List<SimulatedFrame> frames) {

    public long visibleCount() {
        return frames.stream().filter(SimulatedFrame::visible).count();
    }

    /** The frames as a rig that knows the truth sends them: each with its tip label. */
    public List<RigFrame> labelledRigFrames() {
        return frames.stream().map(f -> new RigFrame(captureId, f.frameName(), PngEncoder.encode(f.image()),
                f.visible(), f.visible() ? f.tipX() : -1, f.visible() ? f.tipY() : -1)).toList();
    }

    /** The frames without labels, as a rig sends them before annotators have seen them. */
    public List<RigFrame> unlabelledRigFrames() {
        return frames.stream().map(f -> RigFrame.unlabelled(captureId, f.frameName(), PngEncoder.encode(f.image())))
                .toList();
    }

    /** Writes PNG frames, a CVAT for images 1.1 XML and a ground-truth CSV; returns the XML's path. */
    public Path writeTo(Path dir) throws IOException {
        return new CaptureWriter().write(this, dir);
    }
}
