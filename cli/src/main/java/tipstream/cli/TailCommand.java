package tipstream.cli;

import io.grpc.ManagedChannel;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tipstream.v1.MetricEvent;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.SubscribeRequest;

/** A run's metrics as they come: the stored ones first, then live. */
@Command(name = "tail", mixinStandardHelpOptions = true, description = "Follow a run's metrics (Ctrl-C stops).")
public final class TailCommand implements Callable<Integer> {
    @Mixin
    Target target;

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
        ManagedChannel channel = target.eval();
        try {
            // one subscription for every run, filtered here: a run id names two series (train, eval)
            Iterator<MetricEvent> events = MetricsGrpc.newBlockingStub(channel).withCallCredentials(target.credentials())
                    .subscribe(SubscribeRequest.newBuilder().setTag(tag).setFromStep(fromStep).build());
            while (events.hasNext()) {
                MetricEvent event = events.next();
                if (!event.getRun().equals(run) && !event.getRun().startsWith(run + "/")) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "%-28s %8d  %-28s %.6g%n", event.getRun(), event.getStep(), event.getTag(),
                        event.getValue());
                if (untilStep >= 0 && event.getStep() >= untilStep) {
                    return 0;
                }
            }
            return 0;
        } finally {
            channel.shutdownNow();
        }
    }
}
