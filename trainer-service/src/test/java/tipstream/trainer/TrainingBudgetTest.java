package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrainingBudgetTest {
    private final TrainingBudget tenMinutes = new TrainingBudget(10_000, Optional.of(Duration.ofMinutes(10)));

    @Test
    void withoutATimeLimitTheRunEndsAtItsSteps() {
        assertThat(TrainingBudget.steps(2400).finalStep(100, 5_000, 9.0)).isEqualTo(2400);
    }

    @Test
    void plansTheStepsThatFitInTheTimeLeft() {
        // 600 s, 60 trained at 0.125 s a step: 540 s hold 4320 more steps
        assertThat(tenMinutes.finalStep(400, 60, 0.125)).isEqualTo(4720);
        // slower after evaluations began: 300 s left at 0.25 s a step
        assertThat(tenMinutes.finalStep(2000, 300, 0.25)).isEqualTo(3200);
        // a fraction of a step does not fit
        assertThat(tenMinutes.finalStep(2000, 300, 0.7)).isEqualTo(2428);
    }

    @Test
    void neverPlansBeyondTheStepsNorBeforeNow() {
        assertThat(tenMinutes.finalStep(400, 60, 0.001)).isEqualTo(10_000);
        assertThat(tenMinutes.finalStep(400, 60, Double.MIN_VALUE)).isEqualTo(10_000);
        // out of time: the run ends where it is
        assertThat(tenMinutes.finalStep(3000, 600, 0.1)).isEqualTo(3000);
        assertThat(tenMinutes.finalStep(3000, 900, 0.1)).isEqualTo(3000);
        // resumed past a lowered step limit: it ends where it is
        assertThat(new TrainingBudget(2000, tenMinutes.timeLimit()).finalStep(2500, 60, 0.1)).isEqualTo(2500);
    }

    @Test
    void refusesWhatPlansNothing() {
        assertThatThrownBy(() -> new TrainingBudget(0, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TrainingBudget(10, Optional.of(Duration.ZERO)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tenMinutes.finalStep(10, 1, 0)).hasMessageContaining("plans nothing");
    }
}
