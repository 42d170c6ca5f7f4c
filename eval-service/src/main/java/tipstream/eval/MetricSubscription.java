package tipstream.eval;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import tipstream.v1.MetricEvent;

/**
 * One Subscribe call's stream with flow control (review R16): events go out only while the client
 * takes them ({@link ServerCallStreamObserver#isReady}), the stored history first, then live
 * events. Live events wait in a queue of at most {@code maxQueued}; a subscriber that falls that
 * far behind is ended with RESOURCE_EXHAUSTED (it may subscribe again from its last step), so a
 * client that does not read costs the server a bounded queue, not every event of every run.
 */
final class MetricSubscription {
    private final ServerCallStreamObserver<MetricEvent> call;
    private final int maxQueued;
    private final ArrayDeque<MetricEvent> live = new ArrayDeque<>();
    private Iterator<MetricEvent> history;
    private boolean ended;

    MetricSubscription(ServerCallStreamObserver<MetricEvent> call, int maxQueued) {
        this.call = call;
        this.maxQueued = maxQueued;
    }

    /** The stored events to send before any live one (references into the store, not copies). */
    synchronized void history(List<MetricEvent> events) {
        history = events.iterator();
        drain();
    }

    /** A live event; ends the call when the queue is full. */
    synchronized void offer(MetricEvent event) {
        if (ended) {
            return;
        }
        if (live.size() >= maxQueued) {
            end();
            call.onError(Status.RESOURCE_EXHAUSTED.withDescription("the subscriber fell " + maxQueued
                    + " events behind; subscribe again from the last step received").asRuntimeException());
            return;
        }
        live.add(event);
        drain();
    }

    /** Sends what the client can take now; called again when it can take more. */
    synchronized void drain() {
        while (!ended && history != null && call.isReady() && (history.hasNext() || !live.isEmpty())) {
            call.onNext(history.hasNext() ? history.next() : live.poll());
        }
    }

    /** The call is over (cancelled by the client, or ended here): nothing more is queued or sent. */
    synchronized void end() {
        ended = true;
        live.clear();
        history = null;
    }

    synchronized boolean ended() {
        return ended;
    }
}
