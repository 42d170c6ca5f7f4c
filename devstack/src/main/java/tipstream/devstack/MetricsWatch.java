package tipstream.devstack;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.SubscribeRequest;

/**
 * A live gRPC subscription to eval-service's metrics (all runs, from step 0), keeping every event
 * by run, tag and step, and handing each to a listener as it arrives.
 */
public final class MetricsWatch implements AutoCloseable {
    private final ManagedChannel channel;
    private final Map<String, TreeMap<Long, MetricEvent>> series = new TreeMap<>();
    private volatile Throwable failure;

    public MetricsWatch(String host, int port, Consumer<MetricEvent> listener) {
        this.channel = ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
        MetricsGrpc.newStub(channel).subscribe(SubscribeRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(MetricEvent event) {
                synchronized (series) {
                    series.computeIfAbsent(event.getRun() + " " + event.getTag(), k -> new TreeMap<>())
                            .put(event.getStep(), event);
                    series.notifyAll();
                }
                listener.accept(event);
            }

            @Override
            public void onError(Throwable t) {
                failure = t;
                synchronized (series) {
                    series.notifyAll();
                }
            }

            @Override
            public void onCompleted() {
            }
        });
    }

    /** The value of a run's tag at a step, if it has arrived. */
    public Optional<MetricEvent> get(String run, String tag, long step) {
        synchronized (series) {
            TreeMap<Long, MetricEvent> steps = series.get(run + " " + tag);
            return Optional.ofNullable(steps == null ? null : steps.get(step));
        }
    }

    /** Every event of a run's tag so far, by step. */
    public List<MetricEvent> series(String run, String tag) {
        synchronized (series) {
            TreeMap<Long, MetricEvent> steps = series.get(run + " " + tag);
            return steps == null ? List.of() : new ArrayList<>(steps.values());
        }
    }

    /** Waits until the event arrives; {@code whileWaiting} runs about once a second (liveness checks). */
    public MetricEvent await(String run, String tag, long step, Duration timeout, Runnable whileWaiting)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Optional<MetricEvent> event = get(run, tag, step);
            if (event.isPresent()) {
                return event.get();
            }
            if (failure != null) {
                throw new IllegalStateException("metrics subscription failed: " + failure, failure);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(run + " " + tag + " at step " + step + " not published within "
                        + timeout);
            }
            whileWaiting.run();
            synchronized (series) {
                series.wait(1000);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
