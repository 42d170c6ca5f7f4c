package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tipstream.ingest.IngestTestSupport.channel;
import static tipstream.ingest.IngestTestSupport.frame;
import static tipstream.ingest.IngestTestSupport.frameName;
import static tipstream.ingest.IngestTestSupport.newCapture;
import static tipstream.ingest.IngestTestSupport.records;
import static tipstream.ingest.IngestTestSupport.upload;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStackResource;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;
import tipstream.v1.TipLabel;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class CvatImportTest {
    ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = channel();
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private ImportSummary importXml(String xml) {
        return IngestGrpc.newBlockingStub(channel).importCvat(CvatImport.newBuilder()
                .setXml(ByteString.copyFrom(xml, StandardCharsets.UTF_8)).setSourceName("task-7.xml").build());
    }

    private static String image(String name, String box) {
        return "<image id=\"1\" name=\"" + name + "\" width=\"528\" height=\"406\">" + box + "</image>";
    }

    @Test
    void boxesBecomeTipsAndFramesWithoutBoxOrAbsentBecomeNoTip() throws Exception {
        String capture = newCapture();
        upload(channel, IntStream.range(0, 4).mapToObj(i -> frame(capture, i, null)).toList());
        String xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><annotations><meta></meta>"
                + image(frameName(capture, 0),
                        "<box label=\"1,\" xtl=\"331.86\" ytl=\"353.18\" xbr=\"348.68\" ybr=\"369.50\" occluded=\"0\"/>")
                + image(frameName(capture, 1), "")
                + image(frameName(capture, 2),
                        "<box label=\"1,\" xtl=\"286.40\" ytl=\"405.56\" xbr=\"308.66\" ybr=\"406.00\" occluded=\"0\"/>")
                + image(frameName(capture, 9),
                        "<box label=\"1,\" xtl=\"1\" ytl=\"1\" xbr=\"3\" ybr=\"3\"/>")
                + "</annotations>";

        ImportSummary summary = importXml(xml);

        assertThat(summary.getLabelsPublished()).isEqualTo(2);
        assertThat(summary.getNoTipLabels()).isEqualTo(2); // frame 1 listed without box, frame 3 absent
        assertThat(summary.getRejected()).isEqualTo(1);
        assertThat(summary.getRejections(0).getFrameName()).isEqualTo(frameName(capture, 9));
        assertThat(summary.getRejections(0).getReason()).contains("unknown frame");

        Map<String, TipLabel> labels = records(Topics.LABELS, capture, TipLabel.parser(), 4).stream()
                .collect(Collectors.toMap(TipLabel::getFrameName, Function.identity()));
        assertThat(labels).hasSize(4);
        TipLabel first = labels.get(frameName(capture, 0));
        assertThat(first.getVisible()).isTrue();
        assertThat(first.getTip().getX()).isCloseTo(340.27, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(first.getTip().getY()).isCloseTo(361.34, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(first.getSource()).isEqualTo("cvat:task-7.xml");
        TipLabel clipped = labels.get(frameName(capture, 2));
        assertThat(clipped.getClipped()).isTrue();
        assertThat(clipped.getTip().getY()).isCloseTo(405.78, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(labels.get(frameName(capture, 1)).getVisible()).isFalse();
        assertThat(labels.get(frameName(capture, 3)).getVisible()).isFalse();

        // the same export again changes nothing
        ImportSummary again = importXml(xml);
        assertThat(again.getLabelsPublished() + again.getNoTipLabels()).isZero();
        assertThat(records(Topics.LABELS, capture, TipLabel.parser(), 4)).hasSize(4);
    }

    @Test
    void revisedExportPublishesOnlyTheChangedLabelWithAHigherRevision() throws Exception {
        String capture = newCapture();
        upload(channel, IntStream.range(0, 2).mapToObj(i -> frame(capture, i, null)).toList());
        String box = "<box label=\"1,\" xtl=\"100\" ytl=\"100\" xbr=\"110\" ybr=\"110\"/>";
        importXml("<annotations>" + image(frameName(capture, 0), box) + "</annotations>");
        ImportSummary revised = importXml("<annotations>" + image(frameName(capture, 0), box.replace("100", "150").replace("110", "160"))
                + "</annotations>");
        assertThat(revised.getLabelsPublished()).isEqualTo(1);
        assertThat(revised.getNoTipLabels()).isZero();
        List<TipLabel> labels = records(Topics.LABELS, capture, TipLabel.parser(), 3).stream()
                .filter(l -> l.getFrameName().equals(frameName(capture, 0))).toList();
        assertThat(labels).hasSize(2);
        assertThat(labels.get(1).getRevision()).isGreaterThan(labels.get(0).getRevision());
        assertThat(labels.get(1).getTip().getX()).isEqualTo(155.0);
    }

    @Test
    void brokenAndHostileExportsGetInvalidArgumentAndTheServiceKeepsServing() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<annotations><image name=\"&x;\" width=\"528\" height=\"406\"/></annotations>";
        String bomb = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">"
                + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;\">]><annotations><image name=\"&c;\"/></annotations>";
        for (String xml : List.of("<annotations><image", xxe, bomb, "{\"json\": true}",
                "<annotations><image name=\"x-camL0001.png\" width=\"528\" height=\"406\">"
                        + "<box xtl=\"NaN\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/></image></annotations>")) {
            assertThatThrownBy(() -> importXml(xml)).as(xml).isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        }
        ImportSummary fine = importXml("<annotations>" + image(frameName(newCapture(), 0), "") + "</annotations>");
        assertThat(fine.getRejected()).isEqualTo(1);
        assertThat(fine.getRejections(0).getReason()).contains("unknown frame");
    }

    @Test
    void pathsInImageNamesAreRejected() {
        ImportSummary summary = importXml("<annotations>" + image("../../secret-camL0001.png", "")
                + image("a/b-camL0001.png", "") + "</annotations>");
        assertThat(summary.getRejected()).isEqualTo(2);
        assertThat(summary.getRejectionsList()).allSatisfy(r -> assertThat(r.getReason()).contains("not a plain name"));
    }
}
