package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStackResource;
import tipstream.v1.FrameRef;
import tipstream.v1.ImportSummary;
import tipstream.v1.TipLabel;
import tipstream.v1.UploadSummary;

/** The simulator's rig client streams rendered captures in, and its CVAT export labels one. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class RigStreamingTest {
    @TempDir
    Path exports;

    private static RigClient rig() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        return new RigClient("127.0.0.1", port, "sim-rig", null);
    }

    @Test
    void renderedCaptureStreamsInWithItsTruthAndAgainAsANoOp() throws Exception {
        SimulatedCapture capture = LabSession.render(41, 1, 12).get(0);
        AtomicInteger progress = new AtomicInteger();
        try (RigClient rig = rig()) {
            UploadSummary first = rig.upload(capture.labelledRigFrames(), 3, progress::set);
            assertThat(first.getAccepted()).isEqualTo(12);
            assertThat(first.getLabelsPublished()).isEqualTo(12);
            assertThat(progress.get()).isEqualTo(12);
            UploadSummary again = rig.upload(capture.labelledRigFrames(), 3, n -> { });
            assertThat(again.getDuplicates()).isEqualTo(12);
            assertThat(again.getLabelsPublished()).isZero();
        }
        List<TipLabel> labels = IngestTestSupport.records(Topics.LABELS, capture.captureId(), TipLabel.parser(), 12);
        assertThat(labels).hasSize(12);
        assertThat(labels.stream().filter(TipLabel::getVisible).count()).isEqualTo(capture.visibleCount());
        var truth = capture.frames().stream().filter(f -> f.visible()).findFirst().orElseThrow();
        TipLabel published = labels.stream().filter(l -> l.getFrameName().equals(truth.frameName())).findFirst()
                .orElseThrow();
        assertThat(published.getTip().getX()).isEqualTo(truth.tipX());
        assertThat(published.getTip().getY()).isEqualTo(truth.tipY());
    }

    @Test
    void cvatExportOfASimulatedCaptureLabelsVisibleTipsAndMarksTheRestNoTip() throws Exception {
        // a sweep: the tip leaves the frame for part of the capture, so the export leaves those frames out
        SimulatedCapture capture = LabSession.capture(77, tipstream.capturesim.ArmTrajectory.Kind.SWEEP,
                "20261123-OG5_01_77", 16);
        long visible = capture.visibleCount();
        assertThat(visible).isBetween(1L, 15L);
        try (RigClient rig = rig()) {
            assertThat(rig.upload(capture.unlabelledRigFrames(), 3, n -> { }).getAccepted()).isEqualTo(16);
            ImportSummary imported = rig.importCvat(capture.writeTo(exports));
            assertThat(imported.getLabelsPublished()).isEqualTo(visible);
            assertThat(imported.getNoTipLabels()).isEqualTo(16 - visible);
            assertThat(imported.getRejected()).isZero();
        }
        assertThat(IngestTestSupport.records(Topics.FRAMES, capture.captureId(), FrameRef.parser(), 16)).hasSize(16);
    }
}
