package tipstream.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.SubscribeRequest;

/**
 * The watch the main job (and {@code tipstream train}) follows a run with, against a metrics server
 * on 127.0.0.1 that ends a subscriber as eval-service ends one that falls behind.
 */
class MetricsWatchTest {
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void aSubscriptionEndedForFallingBehindIsTakenUpAgainAndTheListenerHearsEachEventOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        start(new MetricsGrpc.MetricsImplBase() {
            @Override
            public void subscribe(SubscribeRequest request, StreamObserver<MetricEvent> events) {
                if (calls.incrementAndGet() == 1) {
                    for (int step = 0; step <= 2; step++) {
                        events.onNext(event(step));
                    }
                    events.onError(Status.RESOURCE_EXHAUSTED.withDescription("fell behind").asRuntimeException());
                    return;
                }
                for (int step = 0; step <= 4; step++) { // the stored events again, then the new ones
                    events.onNext(event(step));
                }
            }
        });
        List<Long> heard = new CopyOnWriteArrayList<>();
        try (MetricsWatch watch = new MetricsWatch("127.0.0.1", server.getPort(), e -> heard.add(e.getStep()))) {
            MetricEvent last = watch.await("r/train", "metrics/loss", 4, Duration.ofSeconds(20), () -> { });
            assertThat(last.getValue()).isEqualTo(0.4);
            assertThat(watch.resubscriptions()).isEqualTo(1);
            assertThat(heard).containsExactly(0L, 1L, 2L, 3L, 4L);
            assertThat(watch.series("r/train", "metrics/loss")).hasSize(5);
        }
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void anotherErrorFailsTheWait() throws Exception {
        start(new MetricsGrpc.MetricsImplBase() {
            @Override
            public void subscribe(SubscribeRequest request, StreamObserver<MetricEvent> events) {
                events.onError(Status.UNAUTHENTICATED.withDescription("no token").asRuntimeException());
            }
        });
        try (MetricsWatch watch = new MetricsWatch("127.0.0.1", server.getPort(), e -> { })) {
            assertThatThrownBy(() -> watch.await("r/train", "metrics/loss", 0, Duration.ofSeconds(20), () -> { }))
                    .hasMessageContaining("metrics subscription failed").hasMessageContaining("no token");
            assertThat(watch.resubscriptions()).isZero();
        }
    }

    private void start(MetricsGrpc.MetricsImplBase service) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    }

    private static MetricEvent event(long step) {
        return MetricEvent.newBuilder().setRun("r/train").setTag("metrics/loss").setStep(step).setValue(step / 10.0).build();
    }
}
