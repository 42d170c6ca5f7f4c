package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class HeatmapLossTest {
    private static DataType previous;
    /** Two cells per frame, presence weighted 2, offsets 3. */
    private final HeatmapLoss loss = new HeatmapLoss(2, 2.0, 3.0);

    @BeforeAll
    static void doublePrecision() {
        NativeBackend.ensureReady();
        previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(previous, previous);
    }

    private static INDArray rows(double[][] values) {
        return Nd4j.create(values);
    }

    private double score(INDArray labels, INDArray pre) {
        return loss.computeScore(labels, pre, new ActivationIdentity(), null, false);
    }

    @Test
    void knownAnswerForAFrameWithATipAndOneWithout() {
        // frame 0: the tip in cell 0 at offsets (0.25, 0.5), target mass 0.8 there and 0.2 in cell 1;
        // heat and presence logits even (0, 0): p = 1/2 in both cells; offsets said (0.5, 0.5) in cell
        // 0; cell 1's offsets are not weighed
        // frame 1: no tip; presence logits (0, 0) again
        INDArray pre = rows(new double[][] {{0, 0, 0.5, 0.5}, {0, 0, 7, -7}, {0, 0, 1, 1}, {0, 0, 1, 1}});
        INDArray labels = rows(new double[][] {{0.8, 1, 0.25, 0.5}, {0.2, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}});
        // where: -(0.8 log 1/2 + 0.2 log 1/2) = ln 2; offsets |0.5 - 0.25| + 0 = 0.25
        // whether: tip cell -(1/2)^2 log(1/2); cell 1 (y = 0.2 / 0.8 = 1/4) -(3/4)^4 (1/2)^2 log(1/2)
        double focalTip = 0.25 * Math.log(2);
        double focalNeighbour = Math.pow(0.75, 4) * 0.25 * Math.log(2);
        double withTip = Math.log(2) + 2 * (focalTip + focalNeighbour) + 3 * 0.25;
        // no tip: two plain negatives -(1/2)^2 log(1/2)
        double withoutTip = 2 * 2 * 0.25 * Math.log(2);
        INDArray perRow = loss.computeScoreArray(labels, pre, new ActivationIdentity(), null);
        assertThat(perRow.getDouble(0)).isCloseTo(withTip, within(1e-9));
        assertThat(perRow.getDouble(1)).isZero();
        assertThat(perRow.getDouble(2)).isCloseTo(withoutTip, within(1e-9));
        assertThat(score(labels, pre)).isCloseTo(withTip + withoutTip, within(1e-9));
        assertThat(loss.computeScore(labels, pre, new ActivationIdentity(), null, true))
                .isCloseTo((withTip + withoutTip) / 2, within(1e-9));
    }

    @Test
    void frameWithoutATipTeachesOnlyPresence() {
        INDArray pre = rows(new double[][] {{3, -1, 2, 5}, {-2, 4, 0, 1}});
        INDArray gradient = loss.computeGradient(Nd4j.zeros(2, 4), pre, new ActivationIdentity(), null);
        for (int c : new int[] {TipHeatmap.HEAT, TipHeatmap.OFFSET_X, TipHeatmap.OFFSET_Y}) {
            assertThat(gradient.getColumn(c).sumNumber().doubleValue()).as("channel %d", c).isZero();
        }
        // presence: every cell is a negative, pushed down, the more confident one the harder
        assertThat(gradient.getDouble(0, TipHeatmap.PRESENCE)).isPositive();
        assertThat(gradient.getDouble(1, TipHeatmap.PRESENCE)).isGreaterThan(gradient.getDouble(0, TipHeatmap.PRESENCE));
    }

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Random random = new Random(11);
        HeatmapLoss wide = new HeatmapLoss(5, 1.5, 2.0);
        for (int trial = 0; trial < 4; trial++) {
            int frames = 2;
            int rows = frames * 5;
            double[][] pre = new double[rows][4];
            double[][] lab = new double[rows][4];
            for (int f = 0; f < frames; f++) {
                boolean tip = trial != 3 || f == 0; // the last trial has a frame without a tip
                double mass = 0;
                for (int i = 0; i < 5; i++) {
                    int r = f * 5 + i;
                    for (int c = 0; c < 4; c++) {
                        pre[r][c] = 2 * random.nextGaussian();
                    }
                    if (tip) {
                        lab[r][0] = random.nextDouble();
                        mass += lab[r][0];
                        lab[r][1] = i < 3 ? 1 : 0;
                        lab[r][2] = 3 * random.nextDouble() - 1;
                        lab[r][3] = 3 * random.nextDouble() - 1;
                    }
                }
                for (int i = 0; i < 5 && tip; i++) {
                    lab[f * 5 + i][0] /= mass;
                }
            }
            FiniteDifferences.assertGradientMatches(wide, lab, pre, 1e-4, "trial " + trial);
        }
    }

    @Test
    void focalLossIsTheTextbookFormulaAtModerateLogitsAndStaysFiniteAtExtremeOnes() {
        // up to |q| = 15, where the textbook's 1 - p still holds its digits
        for (double q = -15; q <= 15; q += 0.37) {
            for (double y : new double[] {0, 0.3, 0.9, 1}) {
                double p = 1 / (1 + Math.exp(-q));
                double expected = y >= 1 ? -Math.pow(1 - p, 2) * Math.log(p)
                        : -Math.pow(1 - y, 4) * p * p * Math.log(1 - p);
                assertThat(HeatmapLoss.focal(q, y)[0]).as("q %.2f, y %.1f", q, y)
                        .isCloseTo(expected, within(1e-9 * Math.abs(expected) + 1e-300));
            }
        }
        for (double x : new double[] {0, 1e-20, 1e-9, 9.9e-5, 1.01e-4, 0.01, 0.5, 1}) {
            assertThat(HeatmapLoss.log1p(x)).as("log1p(%g)", x).isCloseTo(Math.log1p(x), within(1e-12 * x + 1e-300));
        }
        // a sure, right presence costs nothing; a sure, wrong one costs its logit and pushes it back by ~1
        for (double[] sure : new double[][] {HeatmapLoss.focal(800, 1), HeatmapLoss.focal(-800, 0)}) {
            assertThat(sure[0]).isCloseTo(0, within(1e-300));
            assertThat(sure[1]).isCloseTo(0, within(1e-300));
        }
        assertThat(HeatmapLoss.focal(-800, 1)[0]).isCloseTo(800, within(1e-9));
        assertThat(HeatmapLoss.focal(-800, 1)[1]).isCloseTo(-1, within(1e-9));
        assertThat(HeatmapLoss.focal(800, 0)[0]).isCloseTo(800, within(1e-9));
        assertThat(HeatmapLoss.focal(800, 0)[1]).isCloseTo(1, within(1e-9));
    }

    @Test
    void rowsThatAreNotWholeFramesAreRefused() {
        assertThatThrownBy(() -> score(Nd4j.zeros(3, 4), Nd4j.zeros(3, 4)))
                .hasMessageContaining("2 cells per frame");
    }
}
