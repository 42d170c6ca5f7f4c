package tipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.SubscribeRequest;

/**
 * {@code tipstream tail} against a metrics server on 127.0.0.1 that behaves as eval-service does
 * with a subscriber that falls behind: it ends the call with RESOURCE_EXHAUSTED, and a new call
 * replays the stored events first.
 */
class TailCommandTest {
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void aSubscriberEndedForFallingBehindSubscribesAgainAndPrintsEachEventOnce() throws Exception {
        List<SubscribeRequest> calls = new CopyOnWriteArrayList<>();
        start(new MetricsGrpc.MetricsImplBase() {
            @Override
            public void subscribe(SubscribeRequest request, StreamObserver<MetricEvent> events) {
                calls.add(request);
                if (calls.size() == 1) {
                    for (int step = 0; step <= 3; step++) {
                        events.onNext(event("r1/train", step));
                    }
                    events.onNext(event("r10/train", 2)); // another run whose id starts the same
                    events.onError(Status.RESOURCE_EXHAUSTED.withDescription("the subscriber fell 100 events behind")
                            .asRuntimeException());
                    return;
                }
                for (int step = 0; step <= 7; step++) { // the stored ones again, then what is new
                    events.onNext(event("r1/train", step));
                    events.onNext(event("r1/eval", step));
                }
                events.onCompleted();
            }
        });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = tail(out, err, "r1", "--until-step", "6");

        assertThat(exit).isZero();
        assertThat(calls).hasSize(2);
        assertThat(err.toString()).contains("fell behind").contains("subscribing again");
        List<String> lines = out.toString().lines().map(String::strip).toList();
        List<String> expected = new ArrayList<>();
        for (int step = 0; step <= 3; step++) {
            expected.add(line("r1/train", step));
        }
        expected.add(line("r1/eval", 0));
        for (int step = 1; step <= 6; step++) {
            if (step > 3) {
                expected.add(line("r1/train", step));
            }
            expected.add(line("r1/eval", step));
        }
        expected.remove(expected.size() - 1); // it stops at the first event at --until-step (train, 6)
        assertThat(lines).containsExactlyElementsOf(expected);
    }

    @Test
    void anotherErrorEndsTheCommandWithIt() throws Exception {
        start(new MetricsGrpc.MetricsImplBase() {
            @Override
            public void subscribe(SubscribeRequest request, StreamObserver<MetricEvent> events) {
                events.onError(Status.UNAUTHENTICATED.withDescription("no token").asRuntimeException());
            }
        });
        StringWriter err = new StringWriter();
        int exit = tail(new StringWriter(), err, "r1");
        assertThat(exit).isNotZero();
        assertThat(err.toString()).contains("UNAUTHENTICATED").contains("no token");
    }

    private void start(MetricsGrpc.MetricsImplBase service) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    }

    private int tail(StringWriter out, StringWriter err, String... args) {
        List<String> all = new ArrayList<>(List.of("--target", "127.0.0.1", "--eval-port", Integer.toString(server.getPort())));
        all.addAll(List.of(args));
        return new CommandLine(new TailCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
    }

    private static MetricEvent event(String run, long step) {
        return MetricEvent.newBuilder().setRun(run).setTag("metrics/loss").setStep(step).setValue(step / 10.0).build();
    }

    /** The line tail prints for {@link #event}, trimmed. */
    private static String line(String run, long step) {
        return String.format(java.util.Locale.ROOT, "%-28s %8d  %-28s %.6g", run, step, "metrics/loss", step / 10.0).strip();
    }
}
