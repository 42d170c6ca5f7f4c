package tipstream.devstack;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import tipstream.dataset.MetricTags;
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
    private final Consumer<MetricEvent> listener;
    private final AtomicInteger resubscriptions = new AtomicInteger();
    private volatile Throwable failure;

    public MetricsWatch(String host, int port, Consumer<MetricEvent> listener) {
        this.channel = ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
        this.listener = listener;
        subscribe();
    }

    /**
     * All runs from step 0. Eval ends a subscriber that falls too far behind the live events with
     * RESOURCE_EXHAUSTED; the watch then subscribes again, and the stored events it replays are
     * handed to the listener only if they had not arrived before (the same event, not only the same step).
     */
    private void subscribe() {
        MetricsGrpc.newStub(channel).subscribe(SubscribeRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(MetricEvent event) {
                MetricEvent before;
                synchronized (series) {
                    before = series.computeIfAbsent(event.getRun() + " " + event.getTag(), k -> new TreeMap<>())
                            .put(event.getStep(), event);
                    series.notifyAll();
                }
                // a replay sends the same event again; a step redone (a resumed run) is a new one
                if (!event.equals(before)) {
                    listener.accept(event);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (Status.fromThrowable(t).getCode() == Status.Code.RESOURCE_EXHAUSTED && !channel.isShutdown()) {
                    resubscriptions.incrementAndGet();
                    subscribe();
                    return;
                }
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

    /** How many times eval ended the subscription for falling behind and the watch subscribed again. */
    public int resubscriptions() {
        return resubscriptions.get();
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
        return await(() -> get(run, tag, step), run + " " + tag + " at step " + step, timeout, whileWaiting);
    }

    /**
     * Waits until a training run's last checkpoint is evaluated and returns its step. The trainer
     * publishes where the run ends ({@code optim/final_step}, planned again at each checkpoint when
     * it has a time limit); the last checkpoint is the one at that step. {@code whileWaiting} runs
     * about once a second.
     */
    public long awaitLastEvaluation(String runId, Duration timeout, Runnable whileWaiting)
            throws InterruptedException {
        String trainRun = runId + "/train";
        String evalRun = runId + "/eval";
        return await(() -> lastPlan(trainRun).filter(plan -> plan.getStep() == (long) plan.getValue())
                .map(MetricEvent::getStep).filter(last -> get(evalRun, MetricTags.EVALUATION_DONE, last).isPresent()),
                evalRun + " of the run's last checkpoint", timeout, whileWaiting);
    }

    private Optional<MetricEvent> lastPlan(String trainRun) {
        List<MetricEvent> plans = series(trainRun, MetricTags.FINAL_STEP);
        return plans.isEmpty() ? Optional.empty() : Optional.of(plans.get(plans.size() - 1));
    }

    /**
     * Waits until {@code arrived} finds what it looks for in the events so far (asked again as each
     * event arrives, and about once a second, when {@code whileWaiting} runs).
     */
    public <T> T await(Supplier<Optional<T>> arrived, String what, Duration timeout, Runnable whileWaiting)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Optional<T> found = arrived.get();
            if (found.isPresent()) {
                return found.get();
            }
            if (failure != null) {
                throw new IllegalStateException("metrics subscription failed: " + failure, failure);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(what + " not published within " + timeout);
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
