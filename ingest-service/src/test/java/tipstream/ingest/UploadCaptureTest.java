package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tipstream.ingest.IngestTestSupport.channel;
import static tipstream.ingest.IngestTestSupport.frame;
import static tipstream.ingest.IngestTestSupport.newCapture;
import static tipstream.ingest.IngestTestSupport.records;
import static tipstream.ingest.IngestTestSupport.tipAt;
import static tipstream.ingest.IngestTestSupport.upload;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tipstream.dataset.BlobStore;
import tipstream.dataset.Sha256;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStackResource;
import tipstream.v1.FrameLabel;
import tipstream.v1.FrameRef;
import tipstream.v1.IngestGrpc;
import tipstream.v1.Point;
import tipstream.v1.Rejection;
import tipstream.v1.TipLabel;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class UploadCaptureTest {
    @Inject
    BlobStore blobs;

    @Inject
    MeterRegistry registry;

    ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = channel();
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void framesAreStoredContentAddressedAndPublishedWithTheirLabels() throws Exception {
        String capture = newCapture();
        List<UploadFrame> frames = List.of(
                frame(capture, 0, tipAt(264, 203)),
                frame(capture, 1, FrameLabel.newBuilder().setVisible(false).build()),
                frame(capture, 2, null));

        UploadSummary summary = upload(channel, frames);

        assertThat(summary.getAccepted()).isEqualTo(3);
        assertThat(summary.getDuplicates()).isZero();
        assertThat(summary.getRejected()).isZero();
        assertThat(summary.getLabelsPublished()).isEqualTo(2);
        long totalBytes = frames.stream().mapToLong(f -> f.getPng().size()).sum();
        assertThat(summary.getBytesStored()).isEqualTo(totalBytes);

        List<FrameRef> refs = records(Topics.FRAMES, capture, FrameRef.parser(), 3);
        assertThat(refs).extracting(FrameRef::getFrameName)
                .containsExactlyInAnyOrderElementsOf(frames.stream().map(UploadFrame::getFrameName).toList());
        for (FrameRef ref : refs) {
            UploadFrame sent = frames.stream().filter(f -> f.getFrameName().equals(ref.getFrameName())).findFirst().get();
            assertThat(ref.getBlobKey()).isEqualTo("frames/" + Sha256.hex(sent.getPng().toByteArray()) + ".png");
            assertThat(blobs.get(ref.getBlobKey())).isEqualTo(sent.getPng().toByteArray());
            assertThat(ref.getCaptureId()).isEqualTo(capture);
            assertThat(ref.getCamera()).isEqualTo("L");
            assertThat(ref.getWidth()).isEqualTo(528);
            assertThat(ref.getHeight()).isEqualTo(406);
        }
        assertThat(refs).extracting(FrameRef::getFrameIndex).containsExactlyInAnyOrder(0, 1, 2);

        List<TipLabel> labels = records(Topics.LABELS, capture, TipLabel.parser(), 2);
        assertThat(labels).hasSize(2);
        TipLabel visible = labels.stream().filter(TipLabel::getVisible).findFirst().orElseThrow();
        assertThat(visible.getFrameName()).isEqualTo(frames.get(0).getFrameName());
        assertThat(visible.getTip().getX()).isEqualTo(264.0);
        assertThat(visible.getTip().getY()).isEqualTo(203.0);
        assertThat(labels).filteredOn(l -> !l.getVisible()).singleElement()
                .satisfies(l -> assertThat(l.getFrameName()).isEqualTo(frames.get(1).getFrameName()));
    }

    @Test
    void repeatedUploadIsANoOp() throws Exception {
        String capture = newCapture();
        List<UploadFrame> frames = List.of(frame(capture, 0, tipAt(10, 10)), frame(capture, 1, null));
        upload(channel, frames);

        UploadSummary again = upload(channel, frames);

        assertThat(again.getAccepted()).isZero();
        assertThat(again.getDuplicates()).isEqualTo(2);
        assertThat(again.getBytesStored()).isZero();
        assertThat(again.getLabelsPublished()).isZero();
        assertThat(records(Topics.FRAMES, capture, FrameRef.parser(), 2)).hasSize(2);
        assertThat(records(Topics.LABELS, capture, TipLabel.parser(), 1)).hasSize(1);
    }

    @Test
    void aRepeatedUploadWhoseBlobIsGoneStoresItAgain() throws Exception {
        // review R9: known frames skipped the put, so a deleted blob could never be restored
        String capture = newCapture();
        List<UploadFrame> frames = List.of(frame(capture, 0, tipAt(10, 10)));
        upload(channel, frames);
        FrameRef ref = records(Topics.FRAMES, capture, FrameRef.parser(), 1).get(0);
        blobs.delete(ref.getBlobKey());
        assertThat(blobs.exists(ref.getBlobKey())).isFalse();

        UploadSummary again = upload(channel, frames);

        assertThat(again.getDuplicates()).isEqualTo(1);
        assertThat(again.getBytesStored()).isPositive();
        assertThat(Sha256.hex(blobs.get(ref.getBlobKey()))).isEqualTo(ref.getSha256());
        assertThat(records(Topics.FRAMES, capture, FrameRef.parser(), 1)).hasSize(1);
    }

    @Test
    void resendingAfterADisconnectStoresEachFrameOnceAndPublishesNoDuplicateReference() throws Exception {
        String capture = newCapture();
        List<UploadFrame> frames = IntStream.range(0, 8).mapToObj(i -> frame(capture, i, tipAt(20 + i, 30 + i)))
                .toList();

        // The rig sends the first half, the link drops (the client cancels the call) ...
        CompletableFuture<UploadSummary> cut = new CompletableFuture<>();
        StreamObserver<UploadFrame> requests = IngestGrpc.newStub(channel).uploadCapture(IngestTestSupport.observer(cut));
        frames.subList(0, 4).forEach(requests::onNext);
        awaitFramesPublished(capture, 4);
        requests.onError(new RuntimeException("link dropped"));
        assertThatThrownBy(() -> cut.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);

        // ... and on reconnect it re-sends the whole capture.
        UploadSummary resent = upload(channel, frames);

        assertThat(resent.getAccepted()).isEqualTo(4);
        assertThat(resent.getDuplicates()).isEqualTo(4);
        List<FrameRef> refs = records(Topics.FRAMES, capture, FrameRef.parser(), 8);
        assertThat(refs).extracting(FrameRef::getFrameName)
                .containsExactlyInAnyOrderElementsOf(frames.stream().map(UploadFrame::getFrameName).toList());
        assertThat(records(Topics.LABELS, capture, TipLabel.parser(), 8)).hasSize(8);
        for (UploadFrame f : frames) {
            assertThat(blobs.exists("frames/" + Sha256.hex(f.getPng().toByteArray()) + ".png")).isTrue();
        }
    }

    private void awaitFramesPublished(String capture, int count) throws InterruptedException {
        for (int i = 0; i < 200 && blobs.list("index/frames/" + capture + "/").size() < count; i++) {
            Thread.sleep(50);
        }
        assertThat(blobs.list("index/frames/" + capture + "/")).hasSize(count);
    }

    @Test
    void hostileFramesAreRejectedWithReasonsAndNothingOfThemIsStored() throws Exception {
        String capture = newCapture();
        byte[] good = IngestTestSupport.png(42);
        List<UploadFrame> bad = new ArrayList<>();
        bad.add(named(capture, 0, "GIF89a....".getBytes(), null));
        bad.add(named(capture, 1, Arrays.copyOf(good, good.length / 3), null));
        bad.add(named(capture, 2, hugeHeader(good), null));
        bad.add(named(capture, 3, smallPng(), null));
        bad.add(named(capture, 4, IngestTestSupport.png(43), tipAt(600, 10)));
        bad.add(named(capture, 5, IngestTestSupport.png(44), tipAt(Double.NaN, 10)));
        bad.add(UploadFrame.newBuilder().setFrameName("../../etc/" + capture + "-camL0006.png")
                .setPng(ByteString.copyFrom(IngestTestSupport.png(45))).build());
        bad.add(UploadFrame.newBuilder().setFrameName("frame.png").setPng(ByteString.copyFrom(IngestTestSupport.png(46)))
                .build());
        bad.add(named(capture, 8, IngestTestSupport.png(47),
                FrameLabel.newBuilder().setVisible(false).setTip(Point.newBuilder().setX(1).setY(1)).build()));
        bad.add(named(capture, 9, new byte[0], null));
        UploadFrame fine = frame(capture, 10, null);
        List<UploadFrame> stream = new ArrayList<>(bad);
        stream.add(fine);

        UploadSummary summary = upload(channel, stream);

        assertThat(summary.getAccepted()).isEqualTo(1);
        assertThat(summary.getRejected()).isEqualTo(bad.size());
        List<String> reasons = summary.getRejectionsList().stream().map(Rejection::getReason).toList();
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("not a PNG"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("corrupt or truncated PNG"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("1000000 x 1000000 pixels, expected 528 x 406"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("64 x 48 pixels"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("(600.0, 10.0) lies outside"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("not finite"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("is not a plain name"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("does not name its capture"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("not visible but gives a tip position"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("empty frame"));

        assertThat(records(Topics.FRAMES, capture, FrameRef.parser(), 1)).extracting(FrameRef::getFrameName)
                .containsExactly(fine.getFrameName());
        for (UploadFrame f : bad) {
            assertThat(blobs.exists("frames/" + Sha256.hex(f.getPng().toByteArray()) + ".png"))
                    .as(f.getFrameName()).isFalse();
        }
        assertThat(blobs.list("index/frames/" + capture + "/")).hasSize(1);
    }

    @Test
    void sameNameWithOtherContentIsRejected() throws Exception {
        String capture = newCapture();
        upload(channel, List.of(frame(capture, 0, null)));
        UploadSummary summary = upload(channel, List.of(named(capture, 0, IngestTestSupport.png(99), null)));
        assertThat(summary.getRejected()).isEqualTo(1);
        assertThat(summary.getRejections(0).getReason()).contains("with other content");
    }

    @Test
    void oversizedMessageFailsTheCallAndTheServiceKeepsServing() throws Exception {
        String capture = newCapture();
        UploadFrame huge = named(capture, 0, new byte[40 << 20], null);
        assertThatThrownBy(() -> upload(channel, List.of(huge)))
                .hasCauseInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(Status.fromThrowable(e.getCause()).getCode())
                        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(upload(channel, List.of(frame(capture, 1, null))).getAccepted()).isEqualTo(1);
    }

    @Test
    void rejectionsAreAllCountedAndTheFirstHundredListedWithShortPrintableNames() throws Exception {
        // review R14: every rejection with its raw name stayed in the summary for as long as the stream lasted
        String capture = newCapture();
        String hostileTail = "\u001b[2J" + "x".repeat(5000) + ".png";
        List<UploadFrame> stream = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            stream.add(UploadFrame.newBuilder().setFrameName(capture + "-camL" + i + hostileTail)
                    .setPng(ByteString.copyFrom(IngestTestSupport.png(1000 + i))).build());
        }
        UploadFrame fine = frame(capture, 0, null);
        stream.add(fine);

        UploadSummary summary = upload(channel, stream);

        assertThat(summary.getAccepted()).isEqualTo(1);
        assertThat(summary.getRejected()).isEqualTo(130);
        assertThat(summary.getRejectionsCount()).isEqualTo(Rejections.LISTED);
        assertThat(summary.getRejectionsList()).allSatisfy(r -> {
            assertThat(r.getFrameName()).startsWith(capture + "-camL").hasSizeLessThanOrEqualTo(83)
                    .doesNotContain("\u001b");
            assertThat(r.getReason()).contains("is not a plain name").hasSizeLessThan(300);
        });
        assertThat(records(Topics.FRAMES, capture, FrameRef.parser(), 1)).extracting(FrameRef::getFrameName)
                .containsExactly(fine.getFrameName());
    }

    @Test
    void framesOverTheSizeLimitAndSourcesThatAreNoRigIdAreRejectedAndTheRestStored() throws Exception {
        String capture = newCapture();
        byte[] tooLarge = Arrays.copyOf(IngestTestSupport.png(7), (4 << 20) + 1);
        List<UploadFrame> stream = List.of(
                named(capture, 0, tooLarge, null),
                frame(capture, 1, null).toBuilder().setSource("rig-" + "7".repeat(200)).build(),
                frame(capture, 2, null).toBuilder().setSource("rig\nforged log line").build(),
                frame(capture, 3, null).toBuilder().setSource("rig-7").build());

        UploadSummary summary = upload(channel, stream);

        assertThat(summary.getAccepted()).isEqualTo(1);
        assertThat(summary.getRejectionsList()).extracting(Rejection::getReason).satisfiesExactlyInAnyOrder(
                r -> assertThat(r).contains((4 << 20) + 1 + " bytes, over the limit of " + (4 << 20)),
                r -> assertThat(r).contains("is not a rig id of at most 100 characters"),
                r -> assertThat(r).contains("'rig?forged log line' is not a rig id"));
        assertThat(records(Topics.FRAMES, capture, FrameRef.parser(), 1)).singleElement().satisfies(ref -> {
            assertThat(ref.getFrameName()).isEqualTo(stream.get(3).getFrameName());
            assertThat(ref.getSource()).isEqualTo("rig-7");
        });
        assertThat(blobs.exists("frames/" + Sha256.hex(tooLarge) + ".png")).isFalse();
    }

    @Test
    void uploadsBeyondTheLimitAreToldToResendAndOneIsTakenWhenAnotherEnds() throws Exception {
        // review R14: no limit on the streams taken at once, each holding up to 8 frames
        awaitNoUploadActive();
        String capture = newCapture();
        List<CompletableFuture<UploadSummary>> results = new ArrayList<>();
        List<StreamObserver<UploadFrame>> open = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            CompletableFuture<UploadSummary> result = new CompletableFuture<>();
            StreamObserver<UploadFrame> requests = IngestGrpc.newStub(channel)
                    .uploadCapture(IngestTestSupport.observer(result));
            requests.onNext(frame(capture, i, null));
            results.add(result);
            open.add(requests);
        }
        awaitFramesPublished(capture, 8);

        assertThatThrownBy(() -> upload(channel, List.of(frame(capture, 8, null))))
                .hasCauseInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> {
                    Status status = Status.fromThrowable(e.getCause());
                    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(status.getDescription()).contains("8 uploads at once").contains("re-send");
                });
        assertThat(registry.counter("tipstream.ingest.uploads.refused").count()).isPositive();

        open.get(0).onCompleted();
        assertThat(results.get(0).get(30, TimeUnit.SECONDS).getAccepted()).isEqualTo(1);
        awaitActiveUploads(7);
        assertThat(upload(channel, List.of(frame(capture, 8, null))).getAccepted()).isEqualTo(1);

        for (int i = 1; i < 8; i++) {
            open.get(i).onCompleted();
            assertThat(results.get(i).get(30, TimeUnit.SECONDS).getAccepted()).isEqualTo(1);
        }
        awaitNoUploadActive();
        assertThat(records(Topics.FRAMES, capture, FrameRef.parser(), 9)).hasSize(9);
    }

    private void awaitNoUploadActive() throws InterruptedException {
        awaitActiveUploads(0);
    }

    private void awaitActiveUploads(int count) throws InterruptedException {
        for (int i = 0; i < 200 && activeUploads() != count; i++) {
            Thread.sleep(50);
        }
        assertThat(activeUploads()).isEqualTo(count);
    }

    private double activeUploads() {
        return registry.get("tipstream.ingest.uploads.active").gauge().value();
    }

    private static UploadFrame named(String capture, int index, byte[] png, FrameLabel label) {
        UploadFrame.Builder b = UploadFrame.newBuilder().setFrameName(IngestTestSupport.frameName(capture, index))
                .setPng(ByteString.copyFrom(png));
        if (label != null) {
            b.setLabel(label);
        }
        return b.build();
    }

    private static byte[] smallPng() {
        var image = new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        return tipstream.dataset.PngFrameCodec.encode(image);
    }

    /** A valid PNG whose IHDR (with a correct CRC) claims 1,000,000 x 1,000,000 pixels. */
    private static byte[] hugeHeader(byte[] png) {
        byte[] bytes = png.clone();
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        buf.putInt(16, 1_000_000).putInt(20, 1_000_000);
        CRC32 crc = new CRC32();
        crc.update(bytes, 12, 17);
        buf.putInt(29, (int) crc.getValue());
        return bytes;
    }
}
