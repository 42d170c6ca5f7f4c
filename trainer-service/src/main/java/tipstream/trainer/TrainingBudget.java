package tipstream.trainer;

import java.time.Duration;
import java.util.Optional;

/**
 * How long a run trains: at most {@code maxSteps}, and with a time limit only the steps that fit in
 * it at the pace measured so far (as a "train for N minutes" setting does elsewhere, for instance
 * Ultralytics' {@code time}). The run plans its last step early on and again at every checkpoint
 * (evaluations beside training, another machine), and its learning-rate schedule ends there, so a
 * faster machine trains more steps, a slower one fewer, and both end their schedule on time.
 */
public record TrainingBudget(long maxSteps, Optional<Duration> timeLimit) {

    public TrainingBudget {
        if (maxSteps < 1 || timeLimit.filter(limit -> limit.isNegative() || limit.isZero()).isPresent()) {
            throw new IllegalArgumentException("a run needs at least one step and a positive time limit, not "
                    + maxSteps + " steps and " + timeLimit.map(Duration::toString).orElse("no limit"));
        }
    }

    /** Steps only, no time limit. */
    public static TrainingBudget steps(long maxSteps) {
        return new TrainingBudget(maxSteps, Optional.empty());
    }

    /**
     * The step the run ends at, planned at {@code step} after {@code trainedSeconds} of training at
     * {@code secondsPerStep}: the steps that fit in the time left, never beyond {@code maxSteps} and
     * never before {@code step} (out of time: stop now).
     */
    public long finalStep(long step, double trainedSeconds, double secondsPerStep) {
        if (timeLimit.isEmpty()) {
            return maxSteps;
        }
        if (!(secondsPerStep > 0)) {
            throw new IllegalArgumentException("a pace of " + secondsPerStep + " s a step plans nothing");
        }
        double left = timeLimit.get().toMillis() / 1e3 - trainedSeconds;
        long more = left <= 0 ? 0 : (long) Math.min(maxSteps, Math.floor(left / secondsPerStep));
        return Math.max(step, Math.min(maxSteps, step + more));
    }
}
