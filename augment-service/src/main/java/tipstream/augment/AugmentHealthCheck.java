package tipstream.augment;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Down when the pass thread has died. A failing pass (S3 or Kafka away) stays up: it is retried,
 * and readiness reports the outage. The data says how far augment has read (see
 * {@link AugmentWorker#recordsDone()}), so a caller can wait until its records are in a version, and
 * whether this replica publishes the versions.
 */
@Liveness
@ApplicationScoped
public class AugmentHealthCheck implements HealthCheck {
    private final AugmentService augment;

    public AugmentHealthCheck(AugmentService augment) {
        this.augment = augment;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("augment passes").status(augment.isRunning())
                .withData("records", augment.recordsDone()).withData("publishes", augment.publishes())
                .withData("failure", augment.lastFailure()).build();
    }
}
