package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TipLossTest {
    private static DataType previous;
    private final TipLoss loss = new TipLoss();

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

    @Test
    void knownAnswerWithATipCellAndABackgroundCell() {
        // cell 0 holds the tip: logit 0 (p = 0.5), x and y logits 0 (offsets 0.5) against (0.25, 0.75)
        // cell 1 is background: logit ln 3 (p = 0.75); its x, y are never scored
        INDArray pre = rows(new double[][] {{0, 0, 0}, {Math.log(3), 2, -1}});
        INDArray labels = rows(new double[][] {{1, 0.25, 0.75}, {0, 0, 0}});
        INDArray perCell = loss.computeScoreArray(labels, pre, new ActivationIdentity(), null);
        assertThat(perCell.getDouble(0)).isCloseTo(5 * Math.log(2) + 0.125, within(1e-9));
        assertThat(perCell.getDouble(1)).isCloseTo(5 * Math.log(4), within(1e-9));
        assertThat(loss.computeScore(labels, pre, new ActivationIdentity(), null, false))
                .isCloseTo(5 * Math.log(2) + 0.125 + 5 * Math.log(4), within(1e-9));
        assertThat(loss.computeScore(labels, pre, new ActivationIdentity(), null, true))
                .isCloseTo((5 * Math.log(2) + 0.125 + 5 * Math.log(4)) / 2, within(1e-9));
    }

    @Test
    void frameWithoutATipHasNoXyTermAndNoXyGradient() {
        INDArray pre = rows(new double[][] {{-2, 3, -3}, {1, -4, 4}});
        INDArray labels = Nd4j.zeros(2, 3);
        INDArray perCell = loss.computeScoreArray(labels, pre, new ActivationIdentity(), null);
        // BCE with y = 0 is log(1 + e^z)
        assertThat(perCell.getDouble(0)).isCloseTo(5 * Math.log1p(Math.exp(-2)), within(1e-9));
        assertThat(perCell.getDouble(1)).isCloseTo(5 * Math.log1p(Math.exp(1)), within(1e-9));
        INDArray gradient = loss.computeGradient(labels, pre, new ActivationIdentity(), null);
        assertThat(gradient.getColumn(1).sumNumber().doubleValue()).isZero();
        assertThat(gradient.getColumn(2).sumNumber().doubleValue()).isZero();
    }

    @Test
    void xyErrorOutsideTheTipCellCostsNothing() {
        INDArray labels = rows(new double[][] {{1, 0.5, 0.5}, {0, 0, 0}});
        INDArray a = rows(new double[][] {{0, 0, 0}, {-1, 0, 0}});
        INDArray b = rows(new double[][] {{0, 0, 0}, {-1, 9, -9}});
        assertThat(loss.computeScore(labels, a, new ActivationIdentity(), null, false))
                .isEqualTo(loss.computeScore(labels, b, new ActivationIdentity(), null, false));
    }

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Random random = new Random(11);
        for (int trial = 0; trial < 5; trial++) {
            int rows = 6;
            double[][] pre = new double[rows][3];
            double[][] lab = new double[rows][3];
            int tipRow = trial == 4 ? -1 : random.nextInt(rows); // the last trial: a frame without a tip
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < 3; c++) {
                    pre[r][c] = 3 * random.nextGaussian();
                }
                if (r == tipRow) {
                    lab[r] = new double[] {1, random.nextDouble(), random.nextDouble()};
                }
            }
            FiniteDifferences.assertGradientMatches(loss, lab, pre, 1e-3, "trial " + trial);
        }
    }
}
