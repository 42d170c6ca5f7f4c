package tipstream.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.SubscribeRequest;

/**
 * A run's metrics as they come: the stored ones first, then live. A subscriber that falls too far
 * behind the live events (a slow terminal) is ended by eval with RESOURCE_EXHAUSTED; tail then
 * subscribes again and prints only what it has not printed yet.
 */
@Command(name = "tail", mixinStandardHelpOptions = true, description = "Follow a run's metrics (Ctrl-C stops).")
public final class TailCommand implements Callable<Integer> {
    @Mixin
    Target target;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "the run id (its train and eval series), or one series (<run>/eval)")
    String run;

    @Option(names = "--tag", defaultValue = "", description = "only this tag, e.g. accuracy/overall_mean")
    String tag;

    @Option(names = "--from-step", defaultValue = "0")
    long fromStep;

    @Option(names = "--until-step", defaultValue = "-1", description = "stop after the first event at or past this step")
    long untilStep;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ManagedChannel channel = target.eval();
        // each event printed, by series and step: a subscription again replays the stored ones
        Set<String> printed = new HashSet<>();
        try {
            while (true) {
                try {
                    follow(channel, out, printed);
                    return 0;
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED) {
                        throw e;
                    }
                    spec.commandLine().getErr().println("tail: fell behind the live metrics ("
                            + e.getStatus().getDescription() + "); subscribing again");
                }
            }
        } finally {
            out.flush();
            channel.shutdownNow();
        }
    }

    /** One subscription, until the stream ends or an event reaches --until-step. */
    private void follow(ManagedChannel channel, PrintWriter out, Set<String> printed) {
        // one subscription for every run, filtered here: a run id names two series (train, eval)
        Iterator<MetricEvent> events = MetricsGrpc.newBlockingStub(channel).withCallCredentials(target.credentials())
                .subscribe(SubscribeRequest.newBuilder().setTag(tag).setFromStep(fromStep).build());
        while (events.hasNext()) {
            MetricEvent event = events.next();
            if (!event.getRun().equals(run) && !event.getRun().startsWith(run + "/")) {
                continue;
            }
            if (printed.add(event.getRun() + " " + event.getTag() + " " + event.getStep())) {
                out.printf(Locale.ROOT, "%-28s %8d  %-28s %.6g%n", event.getRun(), event.getStep(), event.getTag(),
                        event.getValue());
                out.flush();
            }
            if (untilStep >= 0 && event.getStep() >= untilStep) {
                return;
            }
        }
    }
}
