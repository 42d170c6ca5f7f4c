package tipstream.model;

import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * Self-supervised pretraining of TipNet's encoder by masked reconstruction: frames go in with
 * random {@value #MASK_BLOCK} x {@value #MASK_BLOCK}-pixel blocks blanked (set to the frame's
 * mean), and a small decoder (nearest-neighbour upsampling and a 3x3 convolution per stride-2
 * step back to the input size) must give back the whole frame (mean squared error). To fill the
 * holes the encoder has to learn what the scene's parts look like from their surroundings, from
 * frames nobody labelled. The encoder's layers have TipNet's names, so a training run copies them
 * ({@link TipNet#loadEncoder}).
 */
public final class EncoderPretraining {
    /** Side of a masked block, in input pixels. */
    public static final int MASK_BLOCK = 16;

    private final TipNetConfig config;
    private final ComputationGraph autoencoder;
    private final double maskShare;

    /** An autoencoder for the encoder of {@code config}; {@code maskShare} of the blocks are blanked. */
    public EncoderPretraining(TipNetConfig config, double maskShare) {
        if (!(maskShare >= 0 && maskShare < 1)) {
            throw new IllegalArgumentException("the masked share must be in [0, 1), not " + maskShare);
        }
        this.config = config;
        this.maskShare = maskShare;
        // NCHW: its decoder's upsampling and cropping are layers DL4J has always run that way
        var graph = TipNet.graphBuilder(config, CNN2DFormat.NCHW);
        String last = TipNet.encoder(graph, config);
        // the decoder climbs back to the input as the network takes it (folded behind a stride-4 stem)
        int fold = config.inputFold();
        int stemLevels = Integer.numberOfTrailingZeros(config.stemStride() / fold);
        int steps = config.stageChannels().size() + stemLevels;
        for (int i = steps; i >= 1; i--) {
            // back through the stages' widths: stage i's input had the width of stage i - 1 (or the stem)
            int stage = i - stemLevels;
            int width = stage >= 2 ? config.stageChannels().get(stage - 2) : config.stemChannels();
            graph.addLayer("up" + i, new Upsampling2D.Builder(2).build(), last);
            graph.addLayer("decode" + i, new ConvolutionLayer.Builder(3, 3).nOut(width).activation(Activation.RELU)
                    .build(), "up" + i);
            last = "decode" + i;
        }
        int overhangRows = (config.encoderRows() << steps) - (config.inputHeight() + fold - 1) / fold;
        int overhangCols = (config.encoderCols() << steps) - (config.inputWidth() + fold - 1) / fold;
        graph.addLayer("crop", new Cropping2D(0, overhangRows, 0, overhangCols), last);
        graph.addLayer("reconstruction", new ConvolutionLayer.Builder(1, 1).nOut(fold * fold).activation(Activation.IDENTITY)
                .build(), "crop");
        graph.addLayer("loss", new CnnLossLayer.Builder(new LossMSE()).activation(Activation.IDENTITY).build(),
                "reconstruction");
        graph.setOutputs("loss");
        autoencoder = new ComputationGraph(graph.build());
        autoencoder.init();
    }

    /**
     * One optimiser step on a batch of clean frames [N, 1, H, W] (0..1, standardised first when the
     * shape is: the encoder learns on what the detector will see); returns the reconstruction loss.
     */
    public double fit(INDArray frames, Random random) {
        INDArray input = FrameTensor.input(frames, config);
        autoencoder.fit(new INDArray[] {mask(input, maskShare, random)}, new INDArray[] {input});
        return autoencoder.score();
    }

    public void setLearningRate(double rate) {
        LearningRates.setAll(autoencoder, rate);
    }

    /** The reconstruction loss of masked frames, without training. */
    public double loss(INDArray frames, Random random) {
        INDArray input = FrameTensor.input(frames, config);
        return autoencoder.score(new DataSet(mask(input, maskShare, random), input), false);
    }

    /** The encoder as trained so far. */
    public PretrainedEncoder encoder() {
        return new PretrainedEncoder(config, autoencoder.clone());
    }

    /**
     * A copy of the input [N, C, H, W] with each {@value #MASK_BLOCK}-position block blanked in every
     * channel (a folded input's channels are neighbouring pixels) to the image's mean with chance
     * {@code share} (blocks at the edges are cut to the input).
     */
    static INDArray mask(INDArray frames, double share, Random random) {
        long n = frames.size(0);
        int c = (int) frames.size(1);
        int h = (int) frames.size(2);
        int w = (int) frames.size(3);
        int per = c * h * w;
        float[] pixels = frames.dup('c').data().asFloat();
        for (int f = 0; f < n; f++) {
            int base = f * per;
            double sum = 0;
            for (int i = 0; i < per; i++) {
                sum += pixels[base + i];
            }
            float mean = (float) (sum / per);
            for (int by = 0; by < h; by += MASK_BLOCK) {
                for (int bx = 0; bx < w; bx += MASK_BLOCK) {
                    if (random.nextDouble() >= share) {
                        continue;
                    }
                    for (int channel = 0; channel < c; channel++) {
                        for (int y = by; y < Math.min(h, by + MASK_BLOCK); y++) {
                            int row = base + (channel * h + y) * w;
                            Arrays.fill(pixels, row + bx, row + Math.min(w, bx + MASK_BLOCK), mean);
                        }
                    }
                }
            }
        }
        return Nd4j.create(pixels, frames.shape(), frames.dataType());
    }
}
