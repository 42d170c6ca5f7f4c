package tipstream.model;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;

/**
 * max(0, x), as DL4J's ReLU, with a faster backward pass: DL4J 1.0.0-M2.1 computes ReLU's
 * gradient with {@code relu_bp}, a call through {@code std::function} per element (9 % of a
 * training step in the profile, BENCHMARKS.md "Training throughput"); here it is two vectorised
 * ops, the step function of the pre-activation (overwriting it, as DL4J allows) times the incoming
 * gradient.
 */
public final class VectorisedRelu extends BaseActivationFunction {
    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        Nd4j.getExecutioner().exec(new RectifiedLinear(in, in));
        return in;
    }

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        Nd4j.getExecutioner().exec(new Step(in, in, 0.0));
        return new Pair<>(in.muli(epsilon), null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VectorisedRelu;
    }

    @Override
    public int hashCode() {
        return VectorisedRelu.class.hashCode();
    }

    @Override
    public String toString() {
        return "relu";
    }
}
