package tipstream.eval;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.util.concurrent.atomic.AtomicReference;
import tipstream.v1.ListRunsRequest;
import tipstream.v1.ListRunsResponse;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.ReadScalarsRequest;
import tipstream.v1.ScalarSeries;
import tipstream.v1.SubscribeRequest;

/** TensorBoard-style scalars over gRPC: a live subscription with replay, runs, and one series. */
@GrpcService
public class MetricsGrpcService extends MetricsGrpc.MetricsImplBase {
    private final MetricStore store;
    private final int maxQueued;

    public MetricsGrpcService(MetricStore store, EvalConfig config) {
        this.store = store;
        this.maxQueued = config.subscriberQueue();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<MetricEvent> responses) {
        ServerCallStreamObserver<MetricEvent> call = (ServerCallStreamObserver<MetricEvent>) responses;
        MetricSubscription subscription = new MetricSubscription(call, maxQueued);
        AtomicReference<MetricStore.Subscriber> self = new AtomicReference<>();
        MetricStore.Subscriber subscriber = new MetricStore.Subscriber(request.getRun(), request.getTag(),
                request.getFromStep(), event -> {
                    subscription.offer(event);
                    if (subscription.ended()) {
                        store.unsubscribe(self.get());
                    }
                });
        self.set(subscriber);
        call.setOnReadyHandler(subscription::drain);
        call.setOnCancelHandler(() -> {
            subscription.end();
            store.unsubscribe(subscriber);
        });
        subscription.history(store.subscribe(subscriber));
    }

    @Override
    public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> responses) {
        responses.onNext(ListRunsResponse.newBuilder().addAllRuns(store.runs()).build());
        responses.onCompleted();
    }

    @Override
    public void readScalars(ReadScalarsRequest request, StreamObserver<ScalarSeries> responses) {
        responses.onNext(ScalarSeries.newBuilder().setRun(request.getRun()).setTag(request.getTag())
                .addAllEvents(store.series(request.getRun(), request.getTag())).build());
        responses.onCompleted();
    }
}
