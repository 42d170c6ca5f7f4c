package tipstream.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The YOLO-style grid tip localiser (DESIGN.md) in DL4J: a stem convolution, then stride-2 stages
 * of 3x3 convolution + batch norm + ReLU (He initialisation; the ReLU is its own layer, since
 * BatchNormalization ignores an activation), and a 1x1 convolution to 3 channels per cell
 * (presence, x, y logits) scored by {@link TipLoss}. Adam optimiser.
 */
public final class TipNet {
    private final TipNetConfig config;
    private final MultiLayerNetwork network;

    private TipNet(TipNetConfig config, MultiLayerNetwork network) {
        this.config = config;
        this.network = network;
    }

    public static TipNet build(TipNetConfig config) {
        NativeBackend.ensureReady();
        var layers = new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .updater(new Adam(config.learningRate()))
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .list();
        convBlock(layers, 3, 1, config.stemChannels());
        for (int channels : config.stageChannels()) {
            convBlock(layers, 3, 2, channels);
        }
        convBlock(layers, 3, 1, config.stageChannels()[config.stageChannels().length - 1]);
        layers.layer(new ConvolutionLayer.Builder(1, 1).nOut(TipGrid.CHANNELS).activation(Activation.IDENTITY)
                .weightInit(WeightInit.XAVIER).build());
        layers.layer(new CnnLossLayer.Builder(new TipLoss(5.0, config.xyLossWeight())).activation(Activation.IDENTITY).build());
        MultiLayerConfiguration conf = layers.setInputType(
                InputType.convolutional(config.inputHeight(), config.inputWidth(), 1)).build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return new TipNet(config, network);
    }

    private static void convBlock(NeuralNetConfiguration.ListBuilder layers, int kernel, int stride, int channels) {
        layers.layer(new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(channels)
                .activation(Activation.IDENTITY).hasBias(false).build());
        layers.layer(new BatchNormalization.Builder().build());
        layers.layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
    }

    public TipNetConfig config() {
        return config;
    }

    public MultiLayerNetwork network() {
        return network;
    }

    public long parameterCount() {
        return network.numParams();
    }

    /** One optimiser step on a batch: input [N, 1, H, W], labels [N, 3, rows, cols]; returns the loss. */
    public double fit(INDArray input, INDArray labels) {
        network.fit(input, labels);
        return network.score();
    }

    /** The optimiser's learning rate from the next step on (the schedule is the trainer's). */
    public void setLearningRate(double rate) {
        network.setLearningRate(rate);
    }

    /** Loss on a batch without training. */
    public double loss(INDArray input, INDArray labels) {
        return network.score(new org.nd4j.linalg.dataset.DataSet(input, labels), false);
    }

    /** The tip of each frame in the batch, in the grid's (original-frame) pixels. */
    public List<TipGrid.Prediction> predict(INDArray input, TipGrid grid) {
        INDArray probabilities = Transforms.sigmoid(network.output(input, false), false);
        List<TipGrid.Prediction> predictions = new ArrayList<>((int) input.size(0));
        for (int i = 0; i < input.size(0); i++) {
            predictions.add(grid.decode(probabilities.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                    .dup().data().asFloat()));
        }
        return predictions;
    }

    /** Model, configuration and optimiser state, for checkpoints. */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(network, out, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Restores a checkpoint written by {@link #toBytes()}. Fails with the reason when the bytes are
     * not a saved network, or when the network does not map {@code config}'s input to its grid
     * (a checkpoint of another shape would otherwise decode into wrong cells).
     */
    public static TipNet fromBytes(TipNetConfig config, byte[] bytes) {
        NativeBackend.ensureReady();
        MultiLayerNetwork network;
        try {
            network = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a saved network: " + e, e);
        }
        List<InputType> types = network.getLayerWiseConfigurations().getLayerActivationTypes(
                InputType.convolutional(config.inputHeight(), config.inputWidth(), 1));
        long[] output = types.get(types.size() - 1).getShape(false);
        long[] expected = {3, config.gridRows(), config.gridCols()};
        if (!Arrays.equals(output, expected)) {
            throw new IllegalArgumentException(String.format("the network maps a 1 x %d x %d frame to %s cells, not"
                    + " the %d x %d x %d of this configuration", config.inputHeight(), config.inputWidth(),
                    Arrays.toString(output), expected[0], expected[1], expected[2]));
        }
        return new TipNet(config, network);
    }
}
