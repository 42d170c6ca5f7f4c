package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class VectorisedReluTest {
    @Test
    void passesPositiveValuesAndTheirGradientsAndZeroesTheRest() {
        NativeBackend.ensureReady();
        INDArray in = Nd4j.createFromArray(-2f, -1e-7f, 0f, 1e-7f, 3.5f);
        assertThat(new VectorisedRelu().getActivation(in.dup(), true).toFloatVector())
                .containsExactly(0f, 0f, 0f, 1e-7f, 3.5f);
        INDArray epsilon = Nd4j.createFromArray(10f, 20f, 30f, 40f, 50f);
        assertThat(new VectorisedRelu().backprop(in.dup(), epsilon).getFirst().toFloatVector())
                .containsExactly(0f, 0f, 0f, 40f, 50f);
    }

    @Test
    void agreesWithDl4jsReluOnAFeatureMap() {
        NativeBackend.ensureReady();
        Nd4j.getRandom().setSeed(5);
        INDArray in = Nd4j.randn(DataType.FLOAT, 4, 8, 13, 11);
        INDArray epsilon = Nd4j.randn(DataType.FLOAT, 4, 8, 13, 11);
        assertThat(new VectorisedRelu().getActivation(in.dup(), true))
                .isEqualTo(new ActivationReLU().getActivation(in.dup(), true));
        assertThat(new VectorisedRelu().backprop(in.dup(), epsilon.dup()).getFirst())
                .isEqualTo(new ActivationReLU().backprop(in.dup(), epsilon.dup()).getFirst());
    }
}
