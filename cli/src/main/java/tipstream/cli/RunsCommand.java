package tipstream.cli;

import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tipstream.v1.ListRunsRequest;
import tipstream.v1.MetricsGrpc;
import tipstream.v1.RunInfo;

/** The training runs eval-service knows, with their last step. */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "List training runs (train and eval series).")
public final class RunsCommand implements Callable<Integer> {
    @Mixin
    Target target;

    @Override
    public Integer call() {
        ManagedChannel channel = target.eval();
        try {
            var runs = MetricsGrpc.newBlockingStub(channel).withCallCredentials(target.credentials())
                    .listRuns(ListRunsRequest.getDefaultInstance()).getRunsList();
            if (runs.isEmpty()) {
                System.out.println("no runs yet: start one with `tipstream train`");
            }
            System.out.printf("%-36s %10s %6s%n", "run", "last step", "tags");
            for (RunInfo run : runs) {
                System.out.printf("%-36s %10d %6d%n", run.getRun(), run.getLastStep(), run.getTagsCount());
            }
            return 0;
        } finally {
            channel.shutdownNow();
        }
    }
}
