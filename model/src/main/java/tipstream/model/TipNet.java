package tipstream.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The tip localiser in DL4J, shaped by a {@link TipNetConfig}: a stem convolution, stride-2 stages
 * of 3x3 convolution + batch norm + ReLU (He initialisation; the ReLU is its own layer, since
 * BatchNormalization ignores an activation), context convolutions at the final stride (dilated),
 * and a 1x1 convolution to the head's channels per output cell, scored by the head's loss
 * ({@link TipLoss} for the seed's grid, {@link HeatmapLoss} for the heatmap). Adam optimiser.
 * A saved network carries its configuration, so it is always restored with the shape it has.
 */
public final class TipNet {
    /** The zip entry of a saved network that holds its {@link TipNetConfig}. */
    static final String CONFIG_ENTRY = "tipnet.properties";

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
        convBlock(layers, 1, 1, config.stemChannels());
        for (int channels : config.stageChannels()) {
            convBlock(layers, 2, 1, channels);
        }
        for (int dilation : config.contextDilations()) {
            convBlock(layers, 1, dilation, config.contextChannels());
        }
        layers.layer(new ConvolutionLayer.Builder(1, 1).nOut(config.head().channels()).activation(Activation.IDENTITY)
                .weightInit(WeightInit.XAVIER).build());
        ILossFunction loss = switch (config.head()) {
            case GRID -> new TipLoss(config.presenceWeight(), config.positionWeight());
            case HEATMAP -> new HeatmapLoss(config.gridRows() * config.gridCols(), config.presenceWeight(),
                    config.positionWeight());
        };
        layers.layer(new CnnLossLayer.Builder(loss).activation(Activation.IDENTITY).build());
        MultiLayerConfiguration conf = layers.setInputType(
                InputType.convolutional(config.inputHeight(), config.inputWidth(), 1)).build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return new TipNet(config, network);
    }

    private static void convBlock(NeuralNetConfiguration.ListBuilder layers, int stride, int dilation, int channels) {
        layers.layer(new ConvolutionLayer.Builder(3, 3).stride(stride, stride).dilation(dilation, dilation)
                .nOut(channels).activation(Activation.IDENTITY).hasBias(false).build());
        layers.layer(new BatchNormalization.Builder().build());
        layers.layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
    }

    public TipNetConfig config() {
        return config;
    }

    /** The output map's meaning over an original frame of this size. */
    public TipEncoding encoding(double frameWidth, double frameHeight) {
        return config.encoding(frameWidth, frameHeight);
    }

    public MultiLayerNetwork network() {
        return network;
    }

    public long parameterCount() {
        return network.numParams();
    }

    /** One optimiser step on a batch: input [N, 1, H, W], labels [N, channels, rows, cols]; returns the loss. */
    public double fit(INDArray input, INDArray labels) {
        network.fit(input, labels);
        return network.score();
    }

    /** The optimiser's learning rate from the next step on (the schedule is the trainer's). */
    public void setLearningRate(double rate) {
        network.setLearningRate(rate);
    }

    /** Mean loss per frame on a batch, without training. */
    public double loss(INDArray input, INDArray labels) {
        return network.score(new org.nd4j.linalg.dataset.DataSet(input, labels), false);
    }

    /** The tip of each frame in the batch, in the encoding's (original-frame) pixels. */
    public List<TipPrediction> predict(INDArray input, TipEncoding encoding) {
        INDArray output = network.output(input, false);
        List<TipPrediction> predictions = new ArrayList<>((int) input.size(0));
        for (int i = 0; i < input.size(0); i++) {
            predictions.add(encoding.decode(output.get(NDArrayIndex.point(i)).dup().data().asFloat()));
        }
        return predictions;
    }

    /** Model, configuration and optimiser state, for checkpoints. */
    public byte[] toBytes() {
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(network, saved, true);
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(saved.toByteArray()));
                    ZipOutputStream zip = new ZipOutputStream(out)) {
                for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                    zip.putNextEntry(new ZipEntry(entry.getName()));
                    in.transferTo(zip);
                    zip.closeEntry();
                }
                zip.putNextEntry(new ZipEntry(CONFIG_ENTRY));
                zip.write(config.toProperties().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Restores a network written by {@link #toBytes()} with the configuration it carries. Fails
     * with the reason when the bytes are not a saved network, carry no configuration, or hold a
     * network whose output does not match the configuration it carries.
     */
    public static TipNet fromBytes(byte[] bytes) {
        NativeBackend.ensureReady();
        TipNetConfig config = TipNetConfig.fromProperties(configEntry(bytes));
        MultiLayerNetwork network;
        try {
            network = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a saved network: " + e, e);
        }
        List<InputType> types = network.getLayerWiseConfigurations().getLayerActivationTypes(
                InputType.convolutional(config.inputHeight(), config.inputWidth(), 1));
        long[] output = types.get(types.size() - 1).getShape(false);
        long[] expected = {config.head().channels(), config.gridRows(), config.gridCols()};
        if (!Arrays.equals(output, expected)) {
            throw new IllegalArgumentException(String.format("the network maps a 1 x %d x %d frame to %s cells, not"
                    + " the %d x %d x %d of its configuration", config.inputHeight(), config.inputWidth(),
                    Arrays.toString(output), expected[0], expected[1], expected[2]));
        }
        return new TipNet(config, network);
    }

    private static String configEntry(byte[] bytes) {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (entry.getName().equals(CONFIG_ENTRY)) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a saved network: " + e, e);
        }
        throw new IllegalArgumentException("not a saved network with its shape: no " + CONFIG_ENTRY
                + " entry (a checkpoint from before checkpoints carried their configuration, or another file)");
    }
}
