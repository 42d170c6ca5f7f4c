package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

class LearningRatesTest {
    private static final double[] RATES = {1e-2, 3e-3, 5e-2, 1e-4, 2e-2, 7e-3};

    @Test
    void stepsAsDl4jsOwnLearningRateDoesWithoutRebuildingTheUpdater() {
        NativeBackend.ensureReady();
        Nd4j.getRandom().setSeed(11);
        INDArray input = Nd4j.randn(DataType.FLOAT, 4, 1, 12, 10);
        INDArray target = Nd4j.randn(DataType.FLOAT, 4, 2, 12, 10);
        ComputationGraph ours = graph();
        ComputationGraph dl4js = graph();
        ComputationGraph fixed = graph();
        assertThat(ours.params()).isEqualTo(dl4js.params());
        for (double rate : RATES) {
            LearningRates.setAll(ours, rate);
            dl4js.setLearningRate(rate);
            ours.fit(new INDArray[] {input}, new INDArray[] {target});
            dl4js.fit(new INDArray[] {input}, new INDArray[] {target});
            fixed.fit(new INDArray[] {input}, new INDArray[] {target});
        }
        assertThat(maxDifference(ours.params(), dl4js.params())).isLessThan(1e-6);
        // the rates change the steps: the same steps at the first rate end elsewhere
        assertThat(maxDifference(ours.params(), fixed.params())).isGreaterThan(1e-3);
        // and a checkpoint carries the rate last set (the layers' configurations are what DL4J saves)
        assertThat(ours.getConfiguration().toJson()).isEqualTo(dl4js.getConfiguration().toJson());
    }

    /** Two convolutions with weight decay (which DL4J scales by the rate) and Adam at the first rate. */
    private static ComputationGraph graph() {
        var builder = new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(RATES[0])).weightDecay(1e-2)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(12, 10, 1))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.TANH)
                        .convolutionMode(ConvolutionMode.Same).build(), "in")
                .addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(2).activation(Activation.IDENTITY).build(), "conv")
                .addLayer("loss", new CnnLossLayer.Builder(new LossMSE()).activation(Activation.IDENTITY).build(), "head")
                .setOutputs("loss");
        ComputationGraph graph = new ComputationGraph(builder.build());
        graph.init();
        return graph;
    }

    private static double maxDifference(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }
}
