package tipstream.model;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's updater of a {@link ComputationGraph}, which knows the gradient it is handed for the network's own.
 * DL4J M2.1's {@code DefaultGradient.gradient()} returns a new reshaped view on every call, so
 * {@code BaseMultiLayerUpdater.update}'s identity check always takes the network's gradient for another
 * network's ("external") and goes the long way: views of every parameter and its gradient made anew twice a
 * step for regularisation, the minibatch division's slices made anew, a view of each block. This saves 6-8 % of
 * a refiner step and 1-2 % of a first-stage step (BENCHMARKS.md, "Training throughput", stop 61). The same state
 * and arithmetic on the same arrays, through DL4J's own path for a network's own gradient.
 */
final class OwnGradientUpdater extends ComputationGraphUpdater {
    private OwnGradientUpdater(ComputationGraph network, INDArray state) {
        super(network, state);
    }

    /** Replaces {@code network}'s updater by one of these, with the same state (a restored Adam's moments). */
    static void install(ComputationGraph network) {
        ComputationGraphUpdater current = network.getUpdater();
        if (!(current instanceof OwnGradientUpdater)) {
            network.setUpdater(new OwnGradientUpdater(network, current.getStateViewArray()));
        }
    }

    @Override
    public void update(Gradient gradient, int iteration, int epoch, int batchSize, LayerWorkspaceMgr workspaceMgr) {
        INDArray own = getFlattenedGradientsView();
        INDArray handed = gradient.gradient();
        boolean same = handed.length() == own.length()
                && handed.data().addressPointer().address() == own.data().addressPointer().address();
        super.update(same ? new OwnGradient(gradient, own) : gradient, iteration, epoch, batchSize, workspaceMgr);
    }

    /** A gradient whose flattened array is the network's own gradient array itself, not a new view of it. */
    private record OwnGradient(Gradient delegate, INDArray own) implements Gradient {
        @Override
        public INDArray gradient() {
            return own;
        }

        @Override
        public Map<String, INDArray> gradientForVariable() {
            return delegate.gradientForVariable();
        }

        @Override
        public INDArray gradient(List<String> order) {
            return delegate.gradient(order);
        }

        @Override
        public void clear() {
            delegate.clear();
        }

        @Override
        public INDArray getGradientFor(String variable) {
            return delegate.getGradientFor(variable);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray values) {
            return delegate.setGradientFor(variable, values);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray values, Character flatteningOrder) {
            return delegate.setGradientFor(variable, values, flatteningOrder);
        }

        @Override
        public Character flatteningOrderForVariable(String variable) {
            return delegate.flatteningOrderForVariable(variable);
        }
    }
}
