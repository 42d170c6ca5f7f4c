package tipstream.eval;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Down when one of eval-service's consuming threads (checkpoint evaluations, metric events) has
 * stopped on its own, which it does only on a failure its loop does not expect (the log says which):
 * the service would go on serving while nothing new is evaluated or recorded, so the platform
 * restarts it, and the new consumer goes on from the committed positions (review R13).
 */
@Liveness
@ApplicationScoped
public class ConsumersLivenessCheck implements HealthCheck {
    private final CheckpointEvaluations evaluations;
    private final MetricsConsumer metrics;

    public ConsumersLivenessCheck(CheckpointEvaluations evaluations, MetricsConsumer metrics) {
        this.evaluations = evaluations;
        this.metrics = metrics;
    }

    @Override
    public HealthCheckResponse call() {
        boolean evaluating = evaluations.consuming();
        boolean recording = metrics.consuming();
        return HealthCheckResponse.named("consumers").status(evaluating && recording)
                .withData("checkpoint-evaluations", evaluating).withData("metric-events", recording).build();
    }

    /**
     * Whether a consuming thread is as it should be: not started yet, running, or ended because the
     * service is stopping.
     */
    static boolean consuming(Thread thread, boolean stopping) {
        return thread == null || thread.isAlive() || stopping;
    }
}
