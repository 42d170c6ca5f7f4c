package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class PresenceCurvesTest {
    private static PresenceCurves.Scored tip(double presence, boolean placeRight) {
        return new PresenceCurves.Scored(true, presence, placeRight);
    }

    private static PresenceCurves.Scored none(double presence) {
        return new PresenceCurves.Scored(false, presence, false);
    }

    @Test
    void rocAucCountsOrderedPairs() {
        // 3 tips x 2 frames without: 5 of the 6 pairs put the tip higher (0.4 < 0.5 is the one that does not)
        List<PresenceCurves.Scored> frames = List.of(tip(0.9, true), tip(0.8, true), tip(0.4, true), none(0.5),
                none(0.1));
        assertThat(PresenceCurves.rocAuc(frames)).isCloseTo(5.0 / 6, within(1e-12));
        assertThat(PresenceCurves.rocAuc(List.of(tip(0.5, true), none(0.5)))).isEqualTo(0.5);
        assertThat(PresenceCurves.rocAuc(List.of(tip(0.5, true)))).isNaN();
    }

    @Test
    void averagePrecisionIsTheMeanPrecisionAtEachTip() {
        // ranked 0.9 T, 0.8 T, 0.5 N, 0.4 T, 0.1 N: precision 1/1, 2/2, 3/4 at the three tips
        List<PresenceCurves.Scored> frames = List.of(tip(0.9, true), tip(0.8, true), tip(0.4, true), none(0.5),
                none(0.1));
        assertThat(PresenceCurves.averagePrecision(frames)).isCloseTo((1 + 1 + 0.75) / 3, within(1e-12));
    }

    @Test
    void calibrationMakesTheMostFramesFullyRightAtTheMiddleOfEquallyGoodThresholds() {
        // a tip placed far off is wrong whatever the threshold; two ranges make 3 of 5 right:
        // (0.3, 0.45] and (0.6, 0.9]; the first's midpoint 0.375 is nearer 0.5 than 0.75
        List<PresenceCurves.Scored> frames = List.of(tip(0.9, true), tip(0.45, true), tip(0.95, false), none(0.3),
                none(0.6));
        assertThat(PresenceCurves.calibrate(frames)).isCloseTo(0.375, within(1e-12));
        // everything separable at 0.5 keeps 0.5; a model that is shy of 0.5 gets a lower threshold
        assertThat(PresenceCurves.calibrate(List.of(tip(0.9, true), none(0.1)))).isCloseTo(0.5, within(1e-12));
        assertThat(PresenceCurves.calibrate(List.of(tip(0.3, true), tip(0.25, true), none(0.05), none(0.1))))
                .isCloseTo(0.175, within(1e-12));
        assertThat(PresenceCurves.calibrate(List.of())).isEqualTo(0.5);
        // three ranges make 4 of 6 right, around 0.15, 0.35 and 0.625: the middle one, not the one nearest 0.5
        assertThat(PresenceCurves.calibrate(List.of(none(0.1), tip(0.2, true), none(0.3), tip(0.4, true), none(0.45),
                tip(0.8, true)))).isCloseTo(0.35, within(1e-12));
        TipMetrics metrics = new TipMetrics(0.175);
        metrics.add(true, 10, 10, new TipPrediction(0.25, 12, 10));
        metrics.add(false, -1, -1, new TipPrediction(0.1, 0, 0));
        assertThat(metrics.overallMean()).isEqualTo(1.0);
    }
}
