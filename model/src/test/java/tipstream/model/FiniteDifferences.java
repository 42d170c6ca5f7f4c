package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** Checks a loss function's analytic gradient against central finite differences of its score (double precision). */
final class FiniteDifferences {
    private FiniteDifferences() {
    }

    static void assertGradientMatches(ILossFunction loss, double[][] labels, double[][] preOutput, double tolerance,
            String trial) {
        INDArray lab = Nd4j.create(labels);
        INDArray analytic = loss.computeGradient(lab, Nd4j.create(preOutput), new ActivationIdentity(), null);
        double eps = 1e-6;
        for (int r = 0; r < preOutput.length; r++) {
            for (int c = 0; c < preOutput[r].length; c++) {
                double[][] plus = copy(preOutput);
                double[][] minus = copy(preOutput);
                plus[r][c] += eps;
                minus[r][c] -= eps;
                double numeric = (loss.computeScore(lab, Nd4j.create(plus), new ActivationIdentity(), null, false)
                        - loss.computeScore(lab, Nd4j.create(minus), new ActivationIdentity(), null, false)) / (2 * eps);
                double a = analytic.getDouble(r, c);
                double scale = Math.max(1e-3, Math.abs(numeric) + Math.abs(a));
                assertThat(Math.abs(a - numeric) / scale).as("%s row %d channel %d", trial, r, c).isLessThan(tolerance);
            }
        }
    }

    private static double[][] copy(double[][] values) {
        double[][] out = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i].clone();
        }
        return out;
    }
}
