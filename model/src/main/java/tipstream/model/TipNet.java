package tipstream.model;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import tipstream.dataset.TipTransform;

/**
 * The tip localiser in DL4J, shaped by a {@link TipNetConfig}: a stem convolution, stride-2 stages
 * of 3x3 convolution + batch norm + ReLU (He initialisation; the ReLU is its own layer, since
 * BatchNormalization ignores an activation) or, without batch norm, 3x3 convolution with bias and
 * ReLU, optionally deeper stages added back for context, context convolutions at the output
 * stride, and a 1x1 convolution to the head's channels per output cell, scored by the head's loss
 * ({@link TipLoss} for the seed's grid, {@link HeatmapLoss} for the heatmap). Adam optimiser.
 * A saved network carries its configuration, so it is always restored with the shape it has; when
 * the shape refines, a second TipNet on full-resolution crops comes with it ({@link TipRefiner}).
 */
public final class TipNet {
    /** The zip entry of a saved network that holds its {@link TipNetConfig}. */
    static final String CONFIG_ENTRY = "tipnet.properties";
    /** The zip entry of a saved network that holds its refining stage, itself a saved network ({@link TipRefiner}). */
    static final String REFINER_ENTRY = "refiner.zip";
    /** The zip entry of a checkpoint that holds the running average of the weights ({@link #averaged()}). */
    static final String AVERAGE_ENTRY = "tipnet-average.bin";
    /**
     * How slowly the running average of the weights follows training: each step moves it 0.2 % of
     * the way to the new weights (a memory of ~500 steps); over the first steps it follows faster,
     * {@code (1 + t) / (10 + t)}, so that a short run's average does not hold on to its random start.
     */
    static final double AVERAGE_DECAY = 0.998;
    /** The heatmap's presence logits start at log(0.1 / 0.9): every cell 10 % likely to hold the tip. */
    private static final double PRESENCE_PRIOR_BIAS = Math.log(0.1 / 0.9);

    private final TipNetConfig config;
    private final ComputationGraph network;
    /** How the network holds its maps; what goes in and comes out of this class is always NCHW. */
    private final CNN2DFormat layout;
    private final List<String> frozen = new ArrayList<>();
    /** The second stage on a full-resolution crop around the tip ({@link TipRefiner}); null when the shape has none. */
    private final TipNet refiner;
    /** The running average of the weights over the steps so far; null before the first step. */
    private INDArray average;
    private long averagedSteps;

    private TipNet(TipNetConfig config, ComputationGraph network, TipNet refiner) {
        if (config.refines() != (refiner != null)) {
            throw new IllegalArgumentException(config.refines() ? "the shape refines on crops but no refining network"
                    + " came with it" : "a refining network came with a shape that does not refine");
        }
        this.config = config;
        this.network = network;
        this.layout = layoutOf(network);
        this.refiner = refiner;
        ChannelsLastConvolution.skipNetworkInputGradients(network);
        OwnGradientUpdater.install(network);
    }

    public static TipNet build(TipNetConfig config) {
        var graph = graphBuilder(config, layout(config));
        boolean norm = config.batchNorm();
        String last = encoder(graph, config);
        if (!config.deepChannels().isEmpty()) {
            last = topDown(graph, config, last);
        }
        for (int i = 0; i < config.contextDilations().size(); i++) {
            last = convBlock(graph, "context" + (i + 1), last, 1, config.contextDilations().get(i),
                    config.contextChannels(), norm);
        }
        if (config.fine()) {
            last = fineLevel(graph, config, last);
        }
        // One 1x1 convolution for all of the head's channels: as three (heat, presence, offsets) merged, it
        // trained the first stage 12-15 % slower and ran the refiner's inference 22-25 % slower
        // (BENCHMARKS.md, "Training throughput", stop 54). A checkpoint saved with three keeps them.
        graph.addLayer("head", head(config.head().channels(), 0), last);
        graph.addLayer("loss", new ChannelsLastLoss(lossFunction(config)), "head");
        graph.setOutputs("loss");
        ComputationGraphConfiguration built = graph.build();
        if (config.weightDecay() > 0) {
            decayWeights(built, config.weightDecay());
        }
        ComputationGraph network = new ComputationGraph(built);
        network.init();
        if (config.head() == TipNetConfig.Head.HEATMAP) {
            // presence starts confident that a cell holds no tip (p = 0.1, as CenterNet starts): 858 cells
            // at p = 0.5 would swamp the loss
            network.getLayer("head").getParam("b").putScalar(TipHeatmap.PRESENCE, PRESENCE_PRIOR_BIAS);
        }
        return new TipNet(config, network, config.refines() ? build(TipRefiner.shape(config)) : null);
    }

    /**
     * Decoupled weight decay on every layer's weights (each step also takes learning rate x decay x
     * weight off them; not off biases). Set on each layer after the graph is built: set on DL4J
     * M2.1's builder, each layer got it twice (twice the decay a step; TipNetTest).
     */
    private static void decayWeights(ComputationGraphConfiguration graph, double decay) {
        for (GraphVertex vertex : graph.getVertices().values()) {
            if (vertex instanceof LayerVertex layer && layer.getLayerConf().getLayer() instanceof BaseLayer weighted) {
                weighted.setRegularization(new ArrayList<>(List.of(new WeightDecay(decay, true))));
            }
        }
    }

    /**
     * How a new network of this shape holds its maps: channels last (NHWC) when it is convolutions
     * alone, as oneDNN's kernels take them: alone, the first stage inferred 34 % and the refiner 65 %
     * faster than in NCHW, and each trained ~15 % faster (medians of three pairs; in the trainer's
     * loop no training gain was measured; BENCHMARKS.md, "Training throughput", stop 55). Batch norm,
     * upsampling and cropping stay in NCHW, where DL4J M2.1 has always run them.
     */
    static CNN2DFormat layout(TipNetConfig config) {
        return config.batchNorm() || !config.deepChannels().isEmpty() || config.fine() ? CNN2DFormat.NCHW
                : CNN2DFormat.NHWC;
    }

    /** The layout a built or restored network holds its maps in: its stem's (NCHW before 2026-12-07). */
    private static CNN2DFormat layoutOf(ComputationGraph network) {
        var stem = (LayerVertex) network.getConfiguration().getVertices().get("stem");
        return ((ConvolutionLayer) stem.getLayerConf().getLayer()).getCnn2dDataFormat();
    }

    /** A graph with the configuration's input in {@code layout}, He initialisation, "same" padding and Adam. */
    static ComputationGraphConfiguration.GraphBuilder graphBuilder(TipNetConfig config, CNN2DFormat layout) {
        NativeBackend.ensureReady();
        return new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .updater(new Adam(config.learningRate()))
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .cacheMode(CacheMode.DEVICE)
                .graphBuilder()
                .addInputs("frame")
                .setInputTypes(inputType(config, layout));
    }

    /** The input as {@link FrameTensor#input} makes it: the frame, folded into channels behind a stride-4 stem. */
    static InputType inputType(TipNetConfig config, CNN2DFormat layout) {
        int fold = config.inputFold();
        return InputType.convolutional((config.inputHeight() + fold - 1) / fold, (config.inputWidth() + fold - 1) / fold,
                (long) fold * fold, layout);
    }

    /**
     * The encoder: the stem and the stride-2 stages, named {@link #encoderLayers}; returns the name
     * of its output. {@link EncoderPretraining} builds its autoencoder on the same layers.
     */
    static String encoder(ComputationGraphConfiguration.GraphBuilder graph, TipNetConfig config) {
        // behind a stride-4 stem the input comes folded 2 x 2 (TipNetConfig.inputFold): a stride-2 stem on it
        String last = convBlock(graph, "stem", "frame", config.stemStride() / config.inputFold(), 1,
                config.stemChannels(), config.batchNorm());
        for (int i = 0; i < config.stageChannels().size(); i++) {
            last = convBlock(graph, "stage" + (i + 1), last, 2, 1, config.stageChannels().get(i), config.batchNorm());
        }
        return last;
    }

    /** The encoder's blocks in order: {@code stem}, {@code stage1}, ... (each a convolution, with "-bn" its batch norm). */
    public static List<String> encoderBlocks(TipNetConfig config) {
        List<String> blocks = new ArrayList<>(List.of("stem"));
        for (int i = 1; i <= config.stageChannels().size(); i++) {
            blocks.add("stage" + i);
        }
        return blocks;
    }

    /** The layers with parameters of the encoder's blocks up to and including {@code lastBlock}. */
    static List<String> encoderLayers(TipNetConfig config, String lastBlock) {
        List<String> blocks = encoderBlocks(config);
        int last = blocks.indexOf(lastBlock);
        if (last < 0) {
            throw new IllegalArgumentException("no encoder block '" + lastBlock + "': the encoder has " + blocks);
        }
        List<String> layers = new ArrayList<>();
        for (String block : blocks.subList(0, last + 1)) {
            layers.add(block);
            if (config.batchNorm()) {
                layers.add(block + "-bn");
            }
        }
        return layers;
    }

    private static ConvolutionLayer head(int channels, double bias) {
        return new ChannelsLastConvolution(new ConvolutionLayer.Builder(1, 1).nOut(channels)
                .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).biasInit(bias));
    }

    /**
     * The deeper stages below {@code from}, their last features brought back to its resolution
     * (1x1 convolution to its width, nearest-neighbour upsampling, the overhang cropped) and added
     * to it: each output cell gets the whole frame's context at the cost of a few small maps.
     */
    private static String topDown(ComputationGraphConfiguration.GraphBuilder graph, TipNetConfig config, String from) {
        String deep = from;
        for (int i = 0; i < config.deepChannels().size(); i++) {
            deep = convBlock(graph, "deep" + (i + 1), deep, 2, 1, config.deepChannels().get(i), config.batchNorm());
        }
        int width = config.stageChannels().get(config.stageChannels().size() - 1);
        int factor = 1 << config.deepChannels().size();
        int deepRows = TipNetConfig.shrink(config.encoderRows(), config.deepChannels().size());
        int deepCols = TipNetConfig.shrink(config.encoderCols(), config.deepChannels().size());
        graph.addLayer("lateral", new ConvolutionLayer.Builder(1, 1).nOut(width).activation(Activation.IDENTITY)
                .hasBias(!config.batchNorm()).build(), deep);
        String lateral = "lateral";
        if (config.batchNorm()) {
            graph.addLayer("lateral-bn", new BatchNormalization.Builder().build(), lateral);
            lateral = "lateral-bn";
        }
        graph.addLayer("up", new Upsampling2D.Builder(factor).build(), lateral);
        graph.addLayer("up-crop", new Cropping2D(0, deepRows * factor - config.encoderRows(), 0,
                deepCols * factor - config.encoderCols()), "up");
        graph.addVertex("with-context", new ElementWiseVertex(ElementWiseVertex.Op.Add), from, "up-crop");
        graph.addLayer("with-context-relu", new ActivationLayer.Builder().activation(new VectorisedRelu()).build(),
                "with-context");
        return "with-context-relu";
    }

    /**
     * The output one level finer than the encoder's: {@code from} (the context) and the encoder's
     * features at that level (the stem's, or the stage before the last), each brought to the fine
     * width by a 1x1 convolution, the context upsampled (overhang cropped) and added, then a 3 x 3
     * convolution: each fine cell knows what its coarse cell saw and where inside it edges lie.
     */
    private static String fineLevel(ComputationGraphConfiguration.GraphBuilder graph, TipNetConfig config, String from) {
        int stages = config.stageChannels().size();
        String skip = blockOutput(stages >= 2 ? "stage" + (stages - 1) : "stem", config.batchNorm());
        int width = config.fineChannels();
        graph.addLayer("fine-context", new ConvolutionLayer.Builder(1, 1).nOut(width).activation(Activation.IDENTITY)
                .build(), from);
        graph.addLayer("fine-up", new Upsampling2D.Builder(2).build(), "fine-context");
        graph.addLayer("fine-up-crop", new Cropping2D(0, 2 * config.encoderRows() - config.gridRows(), 0,
                2 * config.encoderCols() - config.gridCols()), "fine-up");
        graph.addLayer("fine-skip", new ConvolutionLayer.Builder(1, 1).nOut(width).activation(Activation.IDENTITY)
                .build(), skip);
        graph.addVertex("fine-sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "fine-up-crop", "fine-skip");
        graph.addLayer("fine-sum-relu", new ActivationLayer.Builder().activation(new VectorisedRelu()).build(),
                "fine-sum");
        return convBlock(graph, "fine", "fine-sum-relu", 1, 1, width, config.batchNorm());
    }

    /** The name of a {@link #convBlock}'s output. */
    private static String blockOutput(String name, boolean batchNorm) {
        return batchNorm ? name + "-relu" : name;
    }

    private static String convBlock(ComputationGraphConfiguration.GraphBuilder graph, String name, String input,
            int stride, int dilation, int channels, boolean batchNorm) {
        return convBlock(graph, name, input, 3, stride, dilation, channels, batchNorm);
    }

    private static String convBlock(ComputationGraphConfiguration.GraphBuilder graph, String name, String input,
            int kernel, int stride, int dilation, int channels, boolean batchNorm) {
        if (!batchNorm) {
            graph.addLayer(name, new ChannelsLastConvolution(new ConvolutionLayer.Builder(kernel, kernel)
                    .stride(stride, stride).dilation(dilation, dilation).nOut(channels)
                    .activation(new VectorisedRelu())), input);
            return name;
        }
        graph.addLayer(name, new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).dilation(dilation, dilation)
                .nOut(channels).activation(Activation.IDENTITY).hasBias(false).build(), input);
        graph.addLayer(name + "-bn", new BatchNormalization.Builder().build(), name);
        graph.addLayer(name + "-relu", new ActivationLayer.Builder().activation(new VectorisedRelu()).build(), name + "-bn");
        return name + "-relu";
    }

    public TipNetConfig config() {
        return config;
    }

    /** The output map's meaning over an original frame of this size. */
    public TipEncoding encoding(double frameWidth, double frameHeight) {
        return config.encoding(frameWidth, frameHeight);
    }

    public ComputationGraph network() {
        return network;
    }

    /** Both stages' parameters. */
    public long parameterCount() {
        return network.numParams() + (refiner == null ? 0 : refiner.parameterCount());
    }

    /** The refining stage, when the shape has one. */
    public Optional<TipNet> refiner() {
        return Optional.ofNullable(refiner);
    }

    /** One optimiser step on a batch: input [N, 1, H, W], labels [N, channels, rows, cols]; returns the loss. */
    public double fit(INDArray input, INDArray labels) {
        double penalty = regularisation(); // DL4J's score counts it on the weights the step started from
        network.fit(new INDArray[] {inLayout(FrameTensor.input(input, config))}, new INDArray[] {inLayout(labels)});
        double score = network.score() - penalty;
        INDArray weights = network.params();
        if (average == null) {
            average = weights.dup();
        } else {
            double decay = Math.min(AVERAGE_DECAY, (1.0 + averagedSteps) / (10.0 + averagedSteps));
            average.muli(decay).addi(weights.mul(1 - decay));
        }
        averagedSteps++;
        return score;
    }

    /**
     * A copy of this network with the running average of its weights over the steps it trained
     * (an exponential moving average, Polyak averaging): what eval and predict score. Each step's
     * weights jump with its small batch; their average swings less from checkpoint to checkpoint and
     * carries better to captures the network never saw (BENCHMARKS.md, "Model quality"). A network
     * that has not trained, or a checkpoint from before the average was kept, is copied as it is.
     */
    public TipNet averaged() {
        ComputationGraph copy = network.clone();
        if (average != null) {
            copy.params().assign(average);
        }
        return new TipNet(config, copy, refiner == null ? null : refiner.averaged());
    }

    /** The network a checkpoint holds, with its averaged weights: for evaluation and prediction. */
    public static TipNet forInference(byte[] checkpoint) {
        return fromBytes(checkpoint).averaged();
    }

    /**
     * The optimiser's learning rate from the next step on (the schedule is the trainer's); frozen
     * layers keep a rate of 0.
     */
    public void setLearningRate(double rate) {
        if (refiner != null) {
            refiner.setLearningRate(rate);
        }
        if (frozen.isEmpty()) {
            LearningRates.setAll(network, rate);
            return;
        }
        network.setLearningRate(rate);
        for (String layer : frozen) {
            network.setLearningRate(layer, 0.0);
        }
    }

    /**
     * Starts from a pretrained encoder: copies the parameters of every encoder layer (the stem and
     * all stages); fails with the reason when the encoder was pretrained for another shape.
     */
    public void loadEncoder(PretrainedEncoder encoder) {
        TipNetConfig theirs = encoder.config();
        if (theirs.inputHeight() != config.inputHeight() || theirs.inputWidth() != config.inputWidth()
                || theirs.stemChannels() != config.stemChannels() || theirs.stemStride() != config.stemStride()
                || !theirs.stageChannels().equals(config.stageChannels()) || theirs.batchNorm() != config.batchNorm()
                || theirs.standardised() != config.standardised()) {
            throw new IllegalArgumentException("the encoder was pretrained for " + theirs + ", not for " + config);
        }
        List<String> blocks = encoderBlocks(config);
        for (String layer : encoderLayers(config, blocks.get(blocks.size() - 1))) {
            network.getLayer(layer).setParams(encoder.network().getLayer(layer).params().dup());
        }
    }

    /**
     * Freezes the encoder's blocks up to and including {@code lastBlock} (e.g. {@code stage1}):
     * their learning rate stays 0 until {@link #unfreeze()}; an empty name freezes nothing. (With
     * batch norm, a frozen block's running statistics still follow the batches it sees.)
     */
    public void freezeUpTo(String lastBlock) {
        frozen.clear();
        if (!lastBlock.isEmpty()) {
            frozen.addAll(encoderLayers(config, lastBlock));
        }
    }

    public void unfreeze() {
        frozen.clear();
    }

    /** The layers whose learning rate is held at 0. */
    public List<String> frozenLayers() {
        return List.copyOf(frozen);
    }

    /** The loss the shape's output is scored with (on the output map, as its loss layer has no activation). */
    private static ILossFunction lossFunction(TipNetConfig config) {
        return switch (config.head()) {
            case GRID -> new TipLoss(config.presenceWeight(), config.positionWeight());
            case HEATMAP -> new HeatmapLoss(config.gridRows() * config.gridCols(), config.presenceWeight(),
                    config.positionWeight());
        };
    }

    /** Mean loss per frame on a batch, without training. */
    public double loss(INDArray input, INDArray labels) {
        return network.score(new org.nd4j.linalg.dataset.DataSet(inLayout(FrameTensor.input(input, config)),
                inLayout(labels)), false) - regularisation();
    }

    /**
     * {@link #loss} from this network's output on the batch ({@link #output}), without running it
     * again: eval scores the loss on the output it locates the tips from. Scored as DL4J's CNN loss
     * layer scores it: each map position's channels as one row [N x H x W, C], the loss summed over
     * the rows and divided by the frames.
     */
    public double lossOfOutput(INDArray output, INDArray labels) {
        long n = output.size(0);
        long channels = output.size(1);
        INDArray rows = output.permute(0, 2, 3, 1).dup('c').reshape('c', output.length() / channels, channels);
        INDArray labelRows = labels.permute(0, 2, 3, 1).dup('c').reshape('c', labels.length() / channels, channels);
        return lossFunction(config).computeScore(labelRows, rows, new ActivationIdentity(), null, false) / n;
    }

    /** What DL4J adds to a score for weight decay: the losses reported are the data's alone, whatever the decay. */
    private double regularisation() {
        return config.weightDecay() == 0 ? 0 : network.calcRegularizationScore(true);
    }

    /** The network's raw output map for a batch [N, 1, H, W] of frames as {@link FrameTensor#batch} makes them. */
    public INDArray output(INDArray input) {
        INDArray output = network.outputSingle(false, inLayout(FrameTensor.input(input, config)));
        return layout == CNN2DFormat.NHWC ? output.permute(0, 3, 1, 2).dup('c') : output;
    }

    /** An NCHW batch (frames or labels) in the network's layout. */
    private INDArray inLayout(INDArray nchw) {
        if (layout == CNN2DFormat.NCHW) {
            return nchw;
        }
        // one channel: the same values in the same order, only the shape differs
        return nchw.size(1) == 1 && !nchw.isView() && nchw.ordering() == 'c'
                ? nchw.reshape('c', nchw.size(0), nchw.size(2), nchw.size(3), 1)
                : nchw.permute(0, 2, 3, 1).dup('c');
    }

    /** The tip of each frame in the batch, in the encoding's (original-frame) pixels. */
    public List<TipPrediction> predict(INDArray input, TipEncoding encoding) {
        INDArray output = output(input);
        List<TipPrediction> predictions = new ArrayList<>((int) input.size(0));
        for (int i = 0; i < input.size(0); i++) {
            predictions.add(encoding.decode(frameOutput(output, i)));
        }
        return predictions;
    }

    /** One frame's raw output, channel-major as {@link TipEncoding} reads it. */
    static float[] frameOutput(INDArray output, int frame) {
        return output.get(NDArrayIndex.point(frame)).dup().data().asFloat();
    }

    /**
     * Each frame's tip in original-frame pixels ({@code encoding}'s): placed by this network on the
     * frame scaled to its input, then, when the shape refines, again on the full-resolution crop
     * around it ({@link TipRefiner}).
     */
    public List<TipPrediction> locate(List<BufferedImage> frames, TipEncoding encoding) {
        return locate(frames, FrameTensor.batch(frames, config.inputHeight(), config.inputWidth()), encoding);
    }

    /** {@link #locate(List, TipEncoding)} with the frames' input to this network already made ({@link FrameTensor#batch}). */
    public List<TipPrediction> locate(List<BufferedImage> frames, INDArray input, TipEncoding encoding) {
        return locateViewed(frames, output(input), encoding, TipTransform.IDENTITY);
    }

    /**
     * Each frame's tip in {@code encoding}'s frame pixels from this network's {@code output} on a view of the
     * frames' input ({@link TestTimeViews}), {@code back} mapping the view's frame pixels to the frame's: the
     * first stage's places are mapped back, then, when the shape refines, placed again on the crops of the
     * frames as they are. Places stay on the frame.
     */
    public List<TipPrediction> locateViewed(List<BufferedImage> frames, INDArray output, TipEncoding encoding,
            TipTransform back) {
        int width = (int) Math.round(encoding.frameWidth());
        int height = (int) Math.round(encoding.frameHeight());
        if (refiner == null) {
            List<TipPrediction> placed = new ArrayList<>(frames.size());
            for (int i = 0; i < frames.size(); i++) {
                placed.add(encoding.decode(frameOutput(output, i)).mapped(back, width, height));
            }
            return placed;
        }
        List<List<TipEncoding.Candidate>> candidates = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            candidates.add(encoding.candidates(frameOutput(output, i), TipRefiner.CANDIDATES).stream()
                    .map(c -> new TipEncoding.Candidate(c.tip().mapped(back, width, height), c.share())).toList());
        }
        return TipRefiner.choose(refiner, frames, candidates, width, height);
    }

    /** Model, configuration, optimiser state and the running average of the weights (and the refiner's), for checkpoints. */
    public byte[] toBytes() {
        return save(network, config, average == null ? null : averageBytes(), refiner == null ? null : refiner.toBytes());
    }

    /** The average's step count, length and floats, big-endian. */
    private byte[] averageBytes() {
        float[] values = average.toFloatVector();
        ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES + Integer.BYTES + Float.BYTES * values.length);
        buffer.putLong(averagedSteps).putInt(values.length).asFloatBuffer().put(values);
        return buffer.array();
    }

    private void restoreAverage(byte[] bytes) {
        if (bytes.length < Long.BYTES + Integer.BYTES) {
            throw new IllegalArgumentException("the checkpoint's weight average is cut short (" + bytes.length + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long steps = buffer.getLong();
        int length = buffer.getInt();
        if (length != network.numParams() || buffer.remaining() != Float.BYTES * (long) length) {
            throw new IllegalArgumentException("the checkpoint's weight average holds " + length + " values for a network"
                    + " of " + network.numParams() + " parameters");
        }
        float[] values = new float[length];
        buffer.asFloatBuffer().get(values);
        average = Nd4j.create(values, network.params().shape(), network.params().dataType());
        averagedSteps = steps;
    }

    /** A graph with its optimiser state and the configuration it was built from, as one zip. */
    static byte[] save(ComputationGraph network, TipNetConfig config) {
        return save(network, config, null, null);
    }

    private static byte[] save(ComputationGraph network, TipNetConfig config, byte[] average, byte[] refiner) {
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
                if (average != null) {
                    zip.putNextEntry(new ZipEntry(AVERAGE_ENTRY));
                    zip.write(average);
                    zip.closeEntry();
                }
                if (refiner != null) {
                    zip.putNextEntry(new ZipEntry(REFINER_ENTRY));
                    zip.write(refiner);
                    zip.closeEntry();
                }
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
        ComputationGraph network = restoreGraph(bytes);
        var mapped = (InputType.InputTypeConvolutional) network.getConfiguration()
                .getLayerActivationTypes(inputType(config, layoutOf(network))).get("loss");
        long[] output = {mapped.getChannels(), mapped.getHeight(), mapped.getWidth()};
        long[] expected = {config.head().channels(), config.gridRows(), config.gridCols()};
        if (!Arrays.equals(output, expected)) {
            throw new IllegalArgumentException(String.format("the network maps a 1 x %d x %d frame to %s cells, not"
                    + " the %d x %d x %d of its configuration", config.inputHeight(), config.inputWidth(),
                    Arrays.toString(output), expected[0], expected[1], expected[2]));
        }
        TipNet refiner = null;
        if (config.refines()) {
            byte[] saved = entry(bytes, REFINER_ENTRY).orElseThrow(() -> new IllegalArgumentException(
                    "the network's shape refines on crops, but the saved network holds no " + REFINER_ENTRY));
            refiner = fromBytes(saved);
            // the refiner keeps the shape it was trained with (its context was 64 wide before 2026-12-06)
            // as long as it places tips on this network's crops
            TipNetConfig own = refiner.config();
            if (own.head() != TipNetConfig.Head.HEATMAP || own.refines() || own.inputWidth() != config.refineCrop()
                    || own.inputHeight() != config.refineCrop() || own.standardised() != config.standardised()) {
                throw new IllegalArgumentException("the saved refining network is " + own + ", not a heatmap on the "
                        + config.refineCrop() + " px crops" + (config.standardised() ? ", standardised," : "")
                        + " its shape refines on");
            }
        }
        TipNet net = new TipNet(config, network, refiner);
        entry(bytes, AVERAGE_ENTRY).ifPresent(net::restoreAverage);
        return net;
    }

    /** The graph of a zip written by {@link #save}; fails with the reason on anything else. */
    static ComputationGraph restoreGraph(byte[] bytes) {
        try {
            return ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a saved network: " + e, e);
        }
    }

    static String configEntry(byte[] bytes) {
        return entry(bytes, CONFIG_ENTRY).map(b -> new String(b, StandardCharsets.UTF_8)).orElseThrow(() ->
                new IllegalArgumentException("not a saved network with its shape: no " + CONFIG_ENTRY + " entry (a"
                        + " checkpoint from before checkpoints carried their configuration, or another file)"));
    }

    /** One entry of a saved network's zip, if it has it. */
    private static Optional<byte[]> entry(byte[] bytes, String name) {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (entry.getName().equals(name)) {
                    return Optional.of(in.readAllBytes());
                }
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a saved network: " + e, e);
        }
    }
}
