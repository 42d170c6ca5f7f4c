package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tipstream.dataset.Topics;
import tipstream.devstack.DevStackResource;
import tipstream.v1.DeadLetter;
import tipstream.v1.ListRunsRequest;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.ReadScalarsRequest;
import tipstream.v1.RunInfo;
import tipstream.v1.SubscribeRequest;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class MetricsServiceTest {
    @Inject
    MetricStore store;
    ManagedChannel channel;
    KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        producer.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static String servers() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    private void publish(String run, String tag, long step, double value) throws Exception {
        MetricEvent event = MetricEvent.newBuilder().setRun(run).setTag(tag).setStep(step).setValue(value)
                .setWallTimeMs(System.currentTimeMillis()).build();
        producer.send(new ProducerRecord<>(Topics.METRICS, run, event.toByteArray())).get();
    }

    private List<MetricEvent> series(String run, String tag, int expected) throws InterruptedException {
        var stub = MetricsGrpc.newBlockingStub(channel);
        List<MetricEvent> events = List.of();
        for (int i = 0; i < 100 && events.size() < expected; i++) {
            events = stub.readScalars(ReadScalarsRequest.newBuilder().setRun(run).setTag(tag).build()).getEventsList();
            Thread.sleep(100);
        }
        return events;
    }

    @Test
    void trainAndEvalRunsShareTagsAndReadBackInStepOrder() throws Exception {
        String run = "run-" + UUID.randomUUID();
        for (long step : new long[] {30, 10, 20}) {
            publish(run + "/train", "metrics/loss", step, 1.0 / step);
        }
        publish(run + "/eval", "metrics/loss", 20, 0.2);
        publish(run + "/eval", "accuracy/overall_mean", 20, 0.75);
        publish(run + "/train", "metrics/loss", 20, 0.05); // a replayed step replaces, never duplicates

        List<MetricEvent> train = series(run + "/train", "metrics/loss", 3);
        assertThat(train).extracting(MetricEvent::getStep).containsExactly(10L, 20L, 30L);
        assertThat(series(run + "/train", "metrics/loss", 3).get(1).getValue()).isEqualTo(0.05);
        series(run + "/eval", "accuracy/overall_mean", 1);

        List<RunInfo> runs = MetricsGrpc.newBlockingStub(channel).listRuns(ListRunsRequest.getDefaultInstance())
                .getRunsList().stream().filter(r -> r.getRun().startsWith(run)).toList();
        assertThat(runs).extracting(RunInfo::getRun).containsExactly(run + "/eval", run + "/train");
        assertThat(runs.get(0).getTagsList()).containsExactlyInAnyOrder("metrics/loss", "accuracy/overall_mean");
        assertThat(runs.get(1).getLastStep()).isEqualTo(30);
    }

    @Test
    void subscriptionReplaysFromAStepThenStreamsLiveEvents() throws Exception {
        String run = "live-" + UUID.randomUUID();
        for (long step = 1; step <= 5; step++) {
            publish(run, "metrics/loss", step, step);
        }
        series(run, "metrics/loss", 5);
        BlockingQueue<MetricEvent> received = new LinkedBlockingQueue<>();
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> MetricsGrpc.newStub(channel).subscribe(
                SubscribeRequest.newBuilder().setRun(run).setFromStep(3).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(MetricEvent value) {
                        received.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
        for (long expected = 3; expected <= 5; expected++) {
            assertThat(received.poll(10, TimeUnit.SECONDS).getStep()).isEqualTo(expected);
        }
        publish(run, "metrics/loss", 6, 6);
        publish("other-" + run, "metrics/loss", 7, 7); // another run: not for this subscriber
        MetricEvent live = received.poll(10, TimeUnit.SECONDS);
        assertThat(live.getStep()).isEqualTo(6);
        assertThat(received.poll(1, TimeUnit.SECONDS)).isNull();
        context.cancel(null);
    }

    /**
     * Review R16: a subscriber that does not read costs the server a bounded queue. Its call is
     * ended with RESOURCE_EXHAUSTED once it is 100 live events behind (the test profile's
     * tipstream.eval.subscriber-queue), after what the transport's windows hold; before, the server
     * buffered every event for it.
     */
    @Test
    void aSubscriberThatDoesNotReadIsEndedOnceItFallsTooFarBehind() throws Exception {
        String run = "slow-" + UUID.randomUUID();
        String tag = "metrics/" + "x".repeat(1000); // ~1 kB events: the transport's windows fill sooner
        AtomicReference<ClientCallStreamObserver<SubscribeRequest>> requests = new AtomicReference<>();
        AtomicInteger received = new AtomicInteger();
        AtomicReference<Throwable> ended = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        MetricsGrpc.newStub(channel).subscribe(SubscribeRequest.newBuilder().setRun(run).build(),
                new ClientResponseObserver<SubscribeRequest, MetricEvent>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> stream) {
                        requests.set(stream);
                        stream.disableAutoRequestWithInitial(1); // the first event only, then nothing
                    }

                    @Override
                    public void onNext(MetricEvent value) {
                        received.incrementAndGet();
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.set(t);
                        closed.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        closed.countDown();
                    }
                });
        publish(run, tag, 0, 0);
        for (int i = 0; i < 100 && received.get() == 0; i++) {
            Thread.sleep(100); // subscribed: what follows is live, not history
        }
        assertThat(received.get()).isEqualTo(1);
        int events = 3000;
        for (int step = 1; step <= events; step++) {
            MetricEvent event = MetricEvent.newBuilder().setRun(run).setTag(tag).setStep(step).setValue(step)
                    .setWallTimeMs(System.currentTimeMillis()).build();
            producer.send(new ProducerRecord<>(Topics.METRICS, run, event.toByteArray()));
        }
        producer.flush();
        for (int i = 0; i < 300 && store.series(run, tag).size() <= events; i++) {
            Thread.sleep(100); // eval has read them all
        }
        assertThat(store.series(run, tag)).hasSize(events + 1);
        requests.get().request(Integer.MAX_VALUE); // now read what the server kept for us
        assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Status.fromThrowable(ended.get()).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(received.get()).isLessThan(events);
    }

    @Test
    void undecodableRecordGoesToTheDeadLetterTopicAndReadingGoesOn() throws Exception {
        String key = "garbage-" + UUID.randomUUID();
        producer.send(new ProducerRecord<>(Topics.METRICS, key, new byte[] {(byte) 0xff, 0x01, 0x02})).get();
        producer.send(new ProducerRecord<>(Topics.METRICS, key, MetricEvent.newBuilder().setStep(1).build()
                .toByteArray())).get();
        // a series names its event files' object keys: a path in it would write outside runs/
        String climbing = "../../models/" + UUID.randomUUID() + "/eval";
        producer.send(new ProducerRecord<>(Topics.METRICS, key, MetricEvent.newBuilder().setRun(climbing)
                .setTag("metrics/loss").setStep(1).setValue(1).build().toByteArray())).get();
        String run = "after-" + UUID.randomUUID();
        publish(run, "metrics/loss", 1, 1);
        assertThat(series(run, "metrics/loss", 1)).hasSize(1);

        try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers(), ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            dlq.subscribe(List.of(Topics.deadLetter(Topics.METRICS)));
            List<DeadLetter> letters = new java.util.ArrayList<>();
            long deadline = System.currentTimeMillis() + 15_000;
            while (System.currentTimeMillis() < deadline && letters.stream()
                    .filter(l -> l.getKey().toStringUtf8().equals(key)).count() < 3) {
                for (var record : dlq.poll(Duration.ofMillis(300))) {
                    letters.add(DeadLetter.parseFrom(record.value()));
                }
            }
            List<DeadLetter> ours = letters.stream().filter(l -> l.getKey().toStringUtf8().equals(key)).toList();
            assertThat(ours).hasSize(3);
            assertThat(ours.get(0).getReason()).contains("not a MetricEvent");
            assertThat(ours.get(0).getValue().toByteArray()).containsExactly((byte) 0xff, 0x01, 0x02);
            assertThat(ours.get(0).getSourceTopic()).isEqualTo(Topics.METRICS);
            assertThat(ours.get(1).getReason()).contains("without run or tag");
            assertThat(ours.get(2).getReason()).contains("run id '..' is not a plain name");
        }
        assertThat(store.runs()).extracting(RunInfo::getRun).doesNotContain(climbing);
    }
}
