package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tipstream.v1.BestCheckpoint;

class BestModelTest {
    private final BestCheckpoint current = BestCheckpoint.newBuilder().setOverallMean(0.6).setLoss(2.0).build();

    @Test
    void higherOverallMeanWinsWhateverTheLoss() {
        assertThat(BestModel.beats(0.7, 9.0, current)).isTrue();
        assertThat(BestModel.beats(0.5, 0.1, current)).isFalse();
    }

    @Test
    void aTieGoesToTheLowerLoss() {
        assertThat(BestModel.beats(0.6, 1.9, current)).isTrue();
        assertThat(BestModel.beats(0.6, 2.0, current)).isFalse();
    }

    @Test
    void anUndefinedScoreNeverWins() {
        assertThat(BestModel.beats(Double.NaN, 0.1, current)).isFalse();
    }
}
