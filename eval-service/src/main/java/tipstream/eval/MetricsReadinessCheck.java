package tipstream.eval;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the metrics topic has been replayed: before that, queries would miss history. */
@Readiness
@ApplicationScoped
public class MetricsReadinessCheck implements HealthCheck {
    private final MetricsConsumer consumer;

    public MetricsReadinessCheck(MetricsConsumer consumer) {
        this.consumer = consumer;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("metrics-replay").status(consumer.caughtUp()).build();
    }
}
