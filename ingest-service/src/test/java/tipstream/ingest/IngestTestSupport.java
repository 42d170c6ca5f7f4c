package tipstream.ingest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;
import tipstream.dataset.FrameName;
import tipstream.dataset.PngFrameCodec;
import tipstream.v1.FrameLabel;
import tipstream.v1.IngestGrpc;
import tipstream.v1.Point;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

/** Frames, a gRPC channel to the service under test, and a reader of what reached Kafka. */
final class IngestTestSupport {
    private IngestTestSupport() {
    }

    static ManagedChannel channel() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    static String newCapture() {
        return "20261123-T" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String frameName(String capture, int index) {
        return FrameName.of(capture, index);
    }

    /** A 528 x 406 grayscale PNG whose pixels depend on the seed, so every frame has its own sha256. */
    static byte[] png(long seed) {
        BufferedImage image = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(seed);
        byte[] pixels = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
        random.nextBytes(pixels);
        return PngFrameCodec.encode(image);
    }

    static UploadFrame frame(String capture, int index, FrameLabel label) {
        UploadFrame.Builder frame = UploadFrame.newBuilder()
                .setFrameName(frameName(capture, index))
                .setPng(ByteString.copyFrom(png((capture + index).hashCode())))
                .setSource("test-rig");
        if (label != null) {
            frame.setLabel(label);
        }
        return frame.build();
    }

    static FrameLabel tipAt(double x, double y) {
        return FrameLabel.newBuilder().setVisible(true).setTip(Point.newBuilder().setX(x).setY(y)).build();
    }

    /** Streams the frames and returns the summary (or the call's error). */
    static UploadSummary upload(ManagedChannel channel, List<UploadFrame> frames) throws Exception {
        CompletableFuture<UploadSummary> result = new CompletableFuture<>();
        StreamObserver<UploadFrame> requests = IngestGrpc.newStub(channel).uploadCapture(observer(result));
        frames.forEach(requests::onNext);
        requests.onCompleted();
        return result.get(60, TimeUnit.SECONDS);
    }

    static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(null);
            }
        };
    }

    /** Every record of a topic whose key is the capture id, from the beginning. */
    static <T> List<T> records(String topic, String capture, com.google.protobuf.Parser<T> parser, int expectAtLeast) {
        String servers = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        List<T> values = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 10_000;
            int emptyPollsAfterAssignment = 0;
            while (System.currentTimeMillis() < deadline) {
                var polled = consumer.poll(Duration.ofMillis(300));
                for (ConsumerRecord<String, byte[]> record : polled) {
                    if (capture.equals(record.key())) {
                        values.add(parse(parser, record.value()));
                    }
                }
                if (!consumer.assignment().isEmpty() && polled.isEmpty()) {
                    emptyPollsAfterAssignment++;
                }
                // read to the end: a few empty polls after the last record, and at least what is expected
                if (values.size() >= expectAtLeast && emptyPollsAfterAssignment >= 3) {
                    break;
                }
            }
        }
        return values;
    }

    private static <T> T parse(com.google.protobuf.Parser<T> parser, byte[] bytes) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("record is not a valid message", e);
        }
    }
}
