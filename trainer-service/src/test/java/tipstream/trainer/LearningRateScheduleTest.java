package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    private final LearningRateSchedule schedule = new LearningRateSchedule(1e-3, 1e-5, 10, 110);

    @Test
    void warmsUpLinearlyFromZero() {
        assertThat(schedule.at(0)).isZero();
        assertThat(schedule.at(1)).isCloseTo(1e-4, within(1e-12));
        assertThat(schedule.at(5)).isCloseTo(5e-4, within(1e-12));
        assertThat(schedule.at(10)).isCloseTo(1e-3, within(1e-12));
    }

    @Test
    void decaysAlongACosineToTheFloor() {
        // half-way through the decay the cosine term is 0: the mean of peak and floor
        assertThat(schedule.at(60)).isCloseTo((1e-3 + 1e-5) / 2, within(1e-12));
        // a quarter of the way: floor + (peak - floor) * (1 + cos(pi/4)) / 2
        assertThat(schedule.at(35)).isCloseTo(1e-5 + (1e-3 - 1e-5) * (1 + Math.sqrt(0.5)) / 2, within(1e-12));
        assertThat(schedule.at(110)).isEqualTo(1e-5);
        assertThat(schedule.at(500)).isEqualTo(1e-5);
    }

    @Test
    void neverRisesAfterTheWarmUp() {
        for (long step = 11; step <= 120; step++) {
            assertThat(schedule.at(step)).isLessThanOrEqualTo(schedule.at(step - 1));
        }
    }

    @Test
    void endingEarlierDecaysOverTheStepsPlanned() {
        LearningRateSchedule shorter = schedule.endingAt(60);
        assertThat(shorter.at(5)).isEqualTo(schedule.at(5));
        // half-way through the shorter decay (10 + 25)
        assertThat(shorter.at(35)).isCloseTo((1e-3 + 1e-5) / 2, within(1e-12));
        assertThat(shorter.at(60)).isEqualTo(1e-5);
        // a plan inside the warm-up still ends at the floor on its last step
        assertThat(schedule.endingAt(4).at(4)).isEqualTo(1e-5);
        assertThat(schedule.endingAt(110)).isEqualTo(schedule);
    }

    @Test
    void constantIsConstant() {
        LearningRateSchedule constant = LearningRateSchedule.constant(3e-4);
        assertThat(constant.at(1)).isEqualTo(3e-4);
        assertThat(constant.at(1000)).isEqualTo(3e-4);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new LearningRateSchedule(0, 0, 0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearningRateSchedule(1e-3, 1e-2, 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearningRateSchedule(Double.NaN, 0, 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
