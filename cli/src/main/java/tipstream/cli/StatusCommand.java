package tipstream.cli;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tipstream.v1.ListRunsRequest;
import tipstream.v1.MetricsGrpc;

/** Whether ingest and eval serve (the standard gRPC health check), and what eval knows. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Health of ingest and eval, and the runs so far.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    Target target;

    @Override
    public Integer call() {
        int down = 0;
        ManagedChannel ingest = target.ingestChannel();
        ManagedChannel eval = target.eval();
        try {
            down += report("ingest", target.host + ":" + target.ingestPort, ingest);
            down += report("eval", target.host + ":" + target.evalPort, eval);
            if (down == 0) {
                int runs = MetricsGrpc.newBlockingStub(eval).withCallCredentials(target.credentials())
                        .withDeadlineAfter(10, TimeUnit.SECONDS).listRuns(ListRunsRequest.getDefaultInstance())
                        .getRunsCount();
                System.out.printf("%-8s %d series of metrics (`tipstream runs`)%n", "runs", runs);
            }
            return down == 0 ? 0 : 3;
        } finally {
            ingest.shutdownNow();
            eval.shutdownNow();
        }
    }

    private static int report(String name, String address, ManagedChannel channel) {
        try {
            var status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            System.out.printf("%-8s %-22s %s%n", name, address, status);
            return status.name().equals("SERVING") ? 0 : 1;
        } catch (StatusRuntimeException e) {
            System.out.printf("%-8s %-22s not reachable (%s)%n", name, address, e.getStatus().getCode());
            return 1;
        }
    }
}
