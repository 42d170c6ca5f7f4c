package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which dataset version a checkpoint is scored on (review R22: every checkpoint was scored on the newest). */
class ScoredVersionTest {
    @Test
    void theNewestVersionWhileItMeansWhatTheCheckpointTrainedOn() {
        assertThat(CheckpointEvaluations.scoredOn("1.0.0", Optional.of("1.3.2"))).isEqualTo("1.3.2");
        assertThat(CheckpointEvaluations.scoredOn("1.3.2", Optional.of("1.3.2"))).isEqualTo("1.3.2");
    }

    @Test
    void aCheckpointOfAnOlderMajorVersionIsScoredOnItsOwn() {
        // 2.0.0 may split the captures anew: some that 1.x trained on could be eval there
        assertThat(CheckpointEvaluations.scoredOn("1.4.0", Optional.of("2.0.0"))).isEqualTo("1.4.0");
        assertThat(CheckpointEvaluations.scoredOn("2.1.0", Optional.of("1.9.0"))).isEqualTo("2.1.0");
    }

    @Test
    void whatIsMissingOrMalformed() {
        assertThat(CheckpointEvaluations.scoredOn("1.0.0", Optional.empty())).isEqualTo("1.0.0");
        assertThat(CheckpointEvaluations.scoredOn("", Optional.of("2.0.0"))).isEqualTo("2.0.0");
        assertThatThrownBy(() -> CheckpointEvaluations.scoredOn("one", Optional.of("1.0.0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'one' is not a MAJOR.MINOR.PATCH");
    }
}
