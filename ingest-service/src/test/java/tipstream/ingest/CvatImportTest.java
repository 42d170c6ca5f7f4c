package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tipstream.ingest.IngestTestSupport.channel;
import static tipstream.ingest.IngestTestSupport.frame;
import static tipstream.ingest.IngestTestSupport.frameName;
import static tipstream.ingest.IngestTestSupport.newCapture;
import static tipstream.ingest.IngestTestSupport.observer;
import static tipstream.ingest.IngestTestSupport.records;
import static tipstream.ingest.IngestTestSupport.upload;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
    void boxesBecomeTipsAndOnlyFramesTheExportCoversBecomeNoTip() throws Exception {
        String capture = newCapture();
        upload(channel, IntStream.range(0, 5).mapToObj(i -> frame(capture, i, null)).toList());
        String xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><annotations><meta></meta>"
                + image(frameName(capture, 0),
                        "<box label=\"1,\" xtl=\"331.86\" ytl=\"353.18\" xbr=\"348.68\" ybr=\"369.50\" occluded=\"0\"/>")
                + image(frameName(capture, 1), "")
                + image(frameName(capture, 3),
                        "<box label=\"1,\" xtl=\"286.40\" ytl=\"405.56\" xbr=\"308.66\" ybr=\"406.00\" occluded=\"0\"/>")
                + image(frameName(capture, 9),
                        "<box label=\"1,\" xtl=\"1\" ytl=\"1\" xbr=\"3\" ybr=\"3\"/>")
                + "</annotations>";

        ImportSummary summary = importXml(xml);

        assertThat(summary.getFormat()).isEqualTo("IMAGES");
        assertThat(summary.getLabel()).isEqualTo("1,");
        assertThat(summary.getLabelsPublished()).isEqualTo(2);
        // frame 1 listed without a box, frame 2 left out between listed frames (as CVAT before 1.0 did);
        // frame 4 lies beyond the export's last frame: another job's, left alone
        assertThat(summary.getNoTipLabels()).isEqualTo(2);
        assertThat(summary.getRejected()).isEqualTo(1);
        assertThat(summary.getRejections(0).getFrameName()).isEqualTo(frameName(capture, 9));
        assertThat(summary.getRejections(0).getReason()).contains("unknown frame");

        Map<String, TipLabel> labels = records(Topics.LABELS, capture, TipLabel.parser(), 4).stream()
                .collect(Collectors.toMap(TipLabel::getFrameName, Function.identity()));
        assertThat(labels).containsOnlyKeys(frameName(capture, 0), frameName(capture, 1), frameName(capture, 2),
                frameName(capture, 3));
        TipLabel first = labels.get(frameName(capture, 0));
        assertThat(first.getVisible()).isTrue();
        assertThat(first.getTip().getX()).isCloseTo(340.27, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(first.getTip().getY()).isCloseTo(361.34, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(first.getSource()).isEqualTo("cvat:task-7.xml");
        TipLabel clipped = labels.get(frameName(capture, 3));
        assertThat(clipped.getClipped()).isTrue();
        assertThat(clipped.getTip().getY()).isCloseTo(405.78, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(labels.get(frameName(capture, 1)).getVisible()).isFalse();
        assertThat(labels.get(frameName(capture, 2)).getVisible()).isFalse();

        // the same export again changes nothing
        ImportSummary again = importXml(xml);
        assertThat(again.getLabelsPublished() + again.getNoTipLabels()).isZero();
        assertThat(records(Topics.LABELS, capture, TipLabel.parser(), 4)).hasSize(4);
    }

    @Test
    void oneJobsExportLeavesTheOtherJobsLabelsAlone() throws Exception {
        String capture = newCapture();
        upload(channel, IntStream.range(0, 6).mapToObj(i -> frame(capture, i, null)).toList());
        String box = "<box label=\"tip\" xtl=\"100\" ytl=\"100\" xbr=\"110\" ybr=\"110\"/>";
        importXml("<annotations>" + image(frameName(capture, 0), box) + image(frameName(capture, 1), box)
                + image(frameName(capture, 2), box) + "</annotations>");
        ImportSummary job2 = importXml("<annotations>" + image(frameName(capture, 3), "")
                + image(frameName(capture, 4), box) + image(frameName(capture, 5), "") + "</annotations>");
        assertThat(job2.getLabelsPublished()).isEqualTo(1);
        assertThat(job2.getNoTipLabels()).isEqualTo(2);
        Map<String, TipLabel> latest = records(Topics.LABELS, capture, TipLabel.parser(), 6).stream()
                .collect(Collectors.toMap(TipLabel::getFrameName, Function.identity(), (a, b) -> b));
        assertThat(records(Topics.LABELS, capture, TipLabel.parser(), 6)).hasSize(6);
        for (int i = 0; i < 3; i++) {
            assertThat(latest.get(frameName(capture, i)).getVisible()).as("job 1's frame %d", i).isTrue();
        }
    }

    @Test
    void aVideoExportLabelsTheUploadedFramesOfItsTrackAndPointsAndFoldersWork() throws Exception {
        String capture = newCapture();
        upload(channel, IntStream.range(0, 10).filter(i -> i % 2 == 0).mapToObj(i -> frame(capture, i, null)).toList());
        String video = "<annotations><meta><task><size>10</size><start_frame>0</start_frame><stop_frame>9</stop_frame>"
                + "<original_size><width>528</width><height>406</height></original_size></task>"
                + "<source>" + capture + ".mp4</source></meta>"
                + "<track id=\"0\" label=\"tip\"><points frame=\"2\" keyframe=\"1\" outside=\"0\" points=\"100,50\"/>"
                + "<points frame=\"6\" keyframe=\"1\" outside=\"0\" points=\"140,90\"/>"
                + "<points frame=\"8\" keyframe=\"1\" outside=\"1\" points=\"140,90\"/></track></annotations>";
        ImportSummary summary = importXml(video);
        assertThat(summary.getFormat()).isEqualTo("VIDEO");
        assertThat(summary.getFramesCovered()).isEqualTo(10);
        assertThat(summary.getRejectionsList()).extracting(r -> r.getFrameName())
                .containsExactlyInAnyOrder(frameName(capture, 3), frameName(capture, 5), frameName(capture, 7)); // tips on
        // frames never uploaded; odd frames 1 and 9 say "no tip" and were not uploaded: skipped
        assertThat(summary.getNotIngested()).isEqualTo(2);
        Map<String, TipLabel> labels = records(Topics.LABELS, capture, TipLabel.parser(), 5).stream()
                .collect(Collectors.toMap(TipLabel::getFrameName, Function.identity()));
        assertThat(labels).hasSize(5);
        assertThat(labels.get(frameName(capture, 0)).getVisible()).isFalse();
        assertThat(labels.get(frameName(capture, 4)).getTip().getX()).isEqualTo(120.0);
        assertThat(labels.get(frameName(capture, 4)).getTip().getY()).isEqualTo(70.0);
        assertThat(labels.get(frameName(capture, 8)).getVisible()).isFalse();

        String other = newCapture();
        upload(channel, List.of(frame(other, 0, null)));
        ImportSummary foldered = importXml("<annotations>" + image("task 7/images/" + frameName(other, 0),
                "<points label=\"tip\" points=\"12.5,20\"/>") + "</annotations>");
        assertThat(foldered.getLabelsPublished()).isEqualTo(1);
        assertThat(records(Topics.LABELS, other, TipLabel.parser(), 1).get(0).getTip().getX()).isEqualTo(12.5);
    }

    @Test
    void theZipCvatDownloadsBringsItsImagesAndItsLabels() throws Exception {
        String capture = newCapture();
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("annotations.xml", ("<annotations>" + image("images/" + frameName(capture, 0),
                "<box label=\"tip\" xtl=\"100\" ytl=\"100\" xbr=\"110\" ybr=\"110\"/>")
                + image("images/" + frameName(capture, 1), "") + "</annotations>").getBytes(StandardCharsets.UTF_8));
        entries.put("images/" + frameName(capture, 0), frame(capture, 0, null).getPng().toByteArray());
        entries.put("images/" + frameName(capture, 1), frame(capture, 1, null).getPng().toByteArray());
        ImportSummary summary = IngestGrpc.newBlockingStub(channel).importCvat(CvatImport.newBuilder()
                .setXml(ByteString.copyFrom(zip(entries))).setSourceName("task_7\n" + "y".repeat(300) + ".zip")
                .build());
        assertThat(summary.getImages().getAccepted()).isEqualTo(2);
        assertThat(summary.getLabelsPublished()).isEqualTo(1);
        assertThat(summary.getNoTipLabels()).isEqualTo(1);
        // the file name, made plain and cut short, is the frames' and labels' source
        assertThat(records(Topics.FRAMES, capture, tipstream.v1.FrameRef.parser(), 2)).hasSize(2)
                .allSatisfy(ref -> assertThat(ref.getSource()).startsWith("cvat:task_7_yyy").hasSize(100));
        assertThat(records(Topics.LABELS, capture, TipLabel.parser(), 2))
                .allSatisfy(label -> assertThat(label.getSource()).startsWith("cvat:task_7_yyy").hasSize(100));
    }

    static byte[] zip(Map<String, byte[]> entries) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
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
    void brokenAndHostileExportsGetInvalidArgumentAndTheServiceKeepsServing() throws Exception {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<annotations><image name=\"&x;\" width=\"528\" height=\"406\"/></annotations>";
        String bomb = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">"
                + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;\">]><annotations><image name=\"&c;\"/></annotations>";
        String deep = "<annotations>" + "<image>".repeat(100_000) + "</image>".repeat(100_000) + "</annotations>";
        List<byte[]> exports = new java.util.ArrayList<>();
        for (String xml : List.of("<annotations><image", xxe, bomb, "{\"json\": true}", deep, "<annotations/>",
                "<annotations><image name=\"x-camL0001.png\" width=\"528\" height=\"406\">"
                        + "<box xtl=\"NaN\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/></image></annotations>")) {
            exports.add(xml.getBytes(StandardCharsets.UTF_8));
        }
        String capture = newCapture();
        byte[] annotations = ("<annotations>" + image(frameName(capture, 0), "") + "</annotations>")
                .getBytes(StandardCharsets.UTF_8);
        byte[] png = frame(capture, 0, null).getPng().toByteArray();
        exports.add(zip(Map.of("annotations.xml", annotations, "../" + frameName(capture, 0), png)));
        exports.add(zip(Map.of("annotations.xml", annotations, "/tmp/" + frameName(capture, 0), png)));
        exports.add(zip(Map.of("annotations.xml", annotations, "images/zeros.png", new byte[2_000_000])));
        byte[] whole = zip(Map.of("annotations.xml", annotations, "images/" + frameName(capture, 0), png));
        exports.add(java.util.Arrays.copyOf(whole, whole.length - 30));
        exports.add(zip(Map.of("images/" + frameName(capture, 0), png)));
        for (byte[] export : exports) {
            assertThatThrownBy(() -> IngestGrpc.newBlockingStub(channel).importCvat(CvatImport.newBuilder()
                    .setXml(ByteString.copyFrom(export)).setSourceName("hostile").build()))
                    .as(new String(export, 0, Math.min(60, export.length), StandardCharsets.ISO_8859_1))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        }
        // nothing of the refused zips was stored
        assertThat(records(Topics.FRAMES, capture, tipstream.v1.FrameRef.parser(), 0)).isEmpty();
        ImportSummary fine = importXml("<annotations>" + image(frameName(newCapture(), 0), "") + "</annotations>");
        assertThat(fine.getRejected()).isEqualTo(1);
        assertThat(fine.getRejections(0).getReason()).contains("unknown frame");
    }

    @Test
    void namesThatAreNotPlainOnceTheirFoldersAreGoneAreRejected() {
        ImportSummary summary = importXml("<annotations>" + image("a/..", "") + image("task/b c-camL0001.png", "")
                + image("secret/", "") + "</annotations>");
        assertThat(summary.getRejected()).isEqualTo(3);
        assertThat(summary.getRejectionsList()).allSatisfy(r -> assertThat(r.getReason())
                .containsAnyOf("not a plain name", "is empty"));
    }

    @Test
    void anImportWhoseClientHasGoneStopsPublishing() throws Exception {
        // review R15: an import went on to its export's last frame after its client had cancelled the call
        String box = "<box label=\"tip\" xtl=\"100\" ytl=\"100\" xbr=\"110\" ybr=\"110\"/>";
        String[] ingested = {newCapture(), newCapture(), newCapture()};
        for (String capture : ingested) {
            upload(channel, IntStream.range(0, 4).mapToObj(i -> frame(capture, i, null)).toList());
        }
        // thousands of frames never ingested (each a lookup for the import), then the four that were
        Function<String, CvatImport> export = capture -> {
            StringBuilder xml = new StringBuilder("<annotations>");
            String never = newCapture();
            IntStream.range(0, 2000).forEach(i -> xml.append(image(frameName(never, i), "")));
            IntStream.range(0, 4).forEach(i -> xml.append(image(frameName(capture, i), box)));
            return CvatImport.newBuilder().setXml(ByteString.copyFrom(xml.append("</annotations>").toString(),
                    StandardCharsets.UTF_8)).setSourceName("long.xml").build();
        };
        IngestGrpc.newBlockingStub(channel).importCvat(export.apply(ingested[0])); // warm, so the next is timed warm
        CvatImport timed = export.apply(ingested[1]);
        long start = System.nanoTime();
        ImportSummary whole = IngestGrpc.newBlockingStub(channel).importCvat(timed);
        long wholeMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(whole.getLabelsPublished()).isEqualTo(4);

        CompletableFuture<ImportSummary> result = new CompletableFuture<>();
        Context.CancellableContext call = Context.current().withCancellation();
        CvatImport cancelled = export.apply(ingested[2]);
        call.run(() -> IngestGrpc.newStub(channel).importCvat(cancelled, observer(result)));
        Thread.sleep(wholeMs / 5);
        call.cancel(null);
        Thread.sleep(2 * wholeMs + 1000); // past where the whole import ended before
        assertThat(result).isCompletedExceptionally();
        assertThat(records(Topics.LABELS, ingested[2], TipLabel.parser(), 0)).as("labels after %d of %d ms",
                wholeMs / 5, wholeMs).isEmpty();
        // the service is free for the next import: the same export again, whole
        assertThat(IngestGrpc.newBlockingStub(channel).importCvat(cancelled).getLabelsPublished()).isEqualTo(4);
    }
}
