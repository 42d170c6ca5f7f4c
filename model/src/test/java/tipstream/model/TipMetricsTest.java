package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TipMetricsTest {
    private static TipPrediction said(double presence, double x, double y) {
        return new TipPrediction(presence, x, y);
    }

    @Test
    void localisationCountsEveryVisibleTipWhateverThePresenceDecision() {
        TipMetrics m = new TipMetrics();
        m.add(true, 100, 100, said(0.9, 103, 104));   // 5 px
        m.add(true, 200, 200, said(0.1, 200, 209));   // 9 px, not said present: still placed right
        m.add(true, 300, 300, said(0.4, 300, 330));   // 30 px
        m.add(false, -1, -1, said(0.9, 50, 50));      // no tip: not counted
        assertThat(m.localisationDistMedian()).isEqualTo(9.0);
        assertThat(m.localisationWithinTolerance()).isCloseTo(2.0 / 3, within(1e-12));
        m.add(true, 10, 10, said(0.9, 10, 30));       // 20 px: median of 5, 9, 20, 30
        assertThat(m.localisationDistMedian()).isEqualTo(14.5);
        assertThat(new TipMetrics().localisationDistMedian()).isNaN();
    }

    @Test
    void handMadePredictions() {
        TipMetrics m = new TipMetrics();
        m.add(true, 100, 100, said(0.9, 103, 104));   // detected, 5 px: right
        m.add(true, 200, 200, said(0.8, 200, 220));   // detected, 20 px: wrong place
        m.add(true, 300, 300, said(0.4, 300, 300));   // missed (presence under 0.5)
        m.add(false, -1, -1, said(0.1, 50, 50));      // no tip, none predicted: right
        m.add(false, -1, -1, said(0.7, 50, 50));      // false alarm

        assertThat(m.frames()).isEqualTo(5);
        assertThat(m.distMean()).isCloseTo((5 + 20) / 2.0, within(1e-12));
        assertThat(m.pointMean()).isCloseTo(1 / 2.0, within(1e-12));
        assertThat(m.probMean()).isCloseTo(3 / 5.0, within(1e-12));   // TP, TP, TN
        assertThat(m.overallMean()).isCloseTo(2 / 5.0, within(1e-12)); // the 5 px hit and the TN
        assertThat(m.precision()).isCloseTo(2 / 3.0, within(1e-12));
        assertThat(m.recall()).isCloseTo(2 / 3.0, within(1e-12));
        assertThat(m.f1()).isCloseTo(2 / 3.0, within(1e-12));
    }

    @Test
    void presenceExactlyAtTheThresholdCountsAsPredicted() {
        TipMetrics m = new TipMetrics();
        m.add(true, 10, 10, said(0.5, 10, 10));
        assertThat(m.recall()).isEqualTo(1.0);
    }

    @Test
    void theTrapPointMeanReadsPerfectWhileAlmostNothingIsDetected() {
        // BACKGROUND.md: a metric counted only over detected frames showed 100 % while almost nothing was detected.
        TipMetrics m = new TipMetrics();
        m.add(true, 100, 100, said(0.9, 100, 100));
        for (int i = 0; i < 99; i++) {
            m.add(true, 100, 100, said(0.1, 100, 100));
        }
        assertThat(m.pointMean()).isEqualTo(1.0);
        assertThat(m.recall()).isCloseTo(0.01, within(1e-12));
        assertThat(m.overallMean()).isCloseTo(0.01, within(1e-12));
        assertThat(m.probMean()).isCloseTo(0.01, within(1e-12));
    }

    @Test
    void allNoTipFramesAndNothingPredicted() {
        TipMetrics m = new TipMetrics();
        for (int i = 0; i < 4; i++) {
            m.add(false, -1, -1, said(0.2, 0, 0));
        }
        assertThat(m.distMean()).isNaN();
        assertThat(m.pointMean()).isNaN();
        assertThat(m.probMean()).isEqualTo(1.0);
        assertThat(m.overallMean()).isEqualTo(1.0);
        assertThat(m.recall()).isNaN();
        assertThat(m.f1()).isZero();
    }
}
