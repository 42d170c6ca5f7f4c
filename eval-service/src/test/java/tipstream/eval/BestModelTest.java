package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tipstream.v1.BestCheckpoint;

class BestModelTest {
    private final BestCheckpoint current = BestCheckpoint.newBuilder().setOverallMean(0.6).setLoss(2.0)
            .setChosenOn("validation").build();

    @Test
    void higherOverallMeanWinsWhateverTheLoss() {
        assertThat(BestModel.beats(0.7, 9.0, "validation", current)).isTrue();
        assertThat(BestModel.beats(0.5, 0.1, "validation", current)).isFalse();
    }

    @Test
    void aTieGoesToTheLowerLoss() {
        assertThat(BestModel.beats(0.6, 1.9, "validation", current)).isTrue();
        assertThat(BestModel.beats(0.6, 2.0, "validation", current)).isFalse();
    }

    @Test
    void aCheckpointChosenOnValidationIsNeverReplacedByOneScoredOnlyOnEval() {
        assertThat(BestModel.beats(1.0, 0.1, "eval", current)).isFalse();
        BestCheckpoint onEval = current.toBuilder().setChosenOn("eval").build();
        assertThat(BestModel.beats(0.1, 9.0, "validation", onEval)).isTrue();
    }

    @Test
    void anUndefinedScoreNeverWins() {
        assertThat(BestModel.beats(Double.NaN, 0.1, "validation", current)).isFalse();
    }
}
