package tipstream.trainer;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Down when training failed (the log says why); waiting for data or done is healthy. */
@Liveness
@ApplicationScoped
public class TrainerHealthCheck implements HealthCheck {
    private final TrainerService trainer;

    public TrainerHealthCheck(TrainerService trainer) {
        this.trainer = trainer;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("training").status(trainer.state() != TrainerService.State.FAILED)
                .withData("state", trainer.state().name()).withData("step", trainer.step())
                .withData("final-step", trainer.finalStep())
                .withData("failure", trainer.failure()).build();
    }
}
