package tipstream.model;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution layer, except that with channels-last (NHWC) activations it hands them as they are
 * to oneDNN called from Java on the CPU ({@link OneDnnConvolution}) and to DL4J's cuDNN helper on CUDA.
 * DL4J 1.0.0-M2.1's own layer copies the input to NCHW on every forward pass and runs the activation's
 * backward pass on NCHW views of NHWC arrays (strided elementwise ops), which made NHWC training twice as
 * slow as NCHW; NCHW in turn costs oneDNN a reorder to and from its channels-last kernels around every
 * call, in both passes (BENCHMARKS.md, "Training throughput", stop 55), and libnd4j's oneDNN calls
 * reorder even NHWC into blocked layouts (stop 61). Same parameters, same initialisation, same saved
 * configuration as DL4J's layer but for the class name; in NCHW, dilated, without a bias, or without a
 * helper it is DL4J's layer unchanged.
 */
public class ChannelsLastConvolution extends ConvolutionLayer {
    /** For DL4J's JSON configuration. */
    public ChannelsLastConvolution() {
    }

    public ChannelsLastConvolution(ConvolutionLayer.Builder builder) {
        super(builder);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return wired(new Direct(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializer().init(conf, layerParamsView, initializeParams));
    }

    /**
     * Tells each of the network's channels-last convolutions that takes the network's input straight
     * (the stem) that no one reads the gradient with respect to that input, a frame: on the CPU its
     * backward pass then computes its weights' gradients alone ({@link OneDnnConvolution}), as PyTorch
     * does. Through DL4J's helper it cost ~4 ms of a ~45 ms first-stage step of 32 frames (BENCHMARKS.md,
     * "Training throughput", stop 60).
     */
    static void skipNetworkInputGradients(ComputationGraph network) {
        for (GraphVertex vertex : network.getVertices()) {
            if (vertex.hasLayer() && vertex.getLayer() instanceof Direct direct && vertex.getInputVertices() != null
                    && takesOnlyNetworkInputs(network, vertex)) {
                direct.inputGradientWanted = false;
            }
        }
    }

    private static boolean takesOnlyNetworkInputs(ComputationGraph network, GraphVertex vertex) {
        for (VertexIndices from : vertex.getInputVertices()) {
            if (!network.getVertices()[from.getVertexIndex()].isInputVertex()) {
                return false;
            }
        }
        return true;
    }

    /** A layer made by a configuration's {@code instantiate}, wired as DL4J's own configurations wire theirs. */
    static Layer wired(Layer layer, NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int index,
            INDArray paramsView, Map<String, INDArray> params) {
        layer.setListeners(listeners);
        layer.setIndex(index);
        layer.setParamsViewArray(paramsView);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    /** The layer itself: DL4J's, with the channels-last passes going straight to oneDNN or the helper. */
    static final class Direct extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
        /** False when the layer's input is the network's: backprop then returns no gradient for it. */
        private boolean inputGradientWanted = true;
        /** This layer's passes through oneDNN on the CPU, made on their first use. */
        private OneDnnConvolution oneDnnConvolution;
        /** The output of the last training forward pass with ReLU fused in, kept for backprop, and its input. */
        private INDArray reluOutput;
        private INDArray reluOutputInput;

        Direct(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /**
         * Straight to oneDNN or the helper: channels last, with a bias, and not dilated (M2.1's oneDNN convolution
         * builds no primitive for a dilated kernel, "could not create a descriptor for a dilated convolution";
         * DL4J's own layer catches that and falls back to its im2col path, which is what a dilated layer gets).
         */
        private boolean direct() {
            var conf = layerConf();
            return helper != null && helperCountFail == 0 && hasBias() && conf.getCnn2dDataFormat() == CNN2DFormat.NHWC
                    && conf.getDilation()[0] == 1 && conf.getDilation()[1] == 1;
        }

        /** On the CPU (DL4J picked its oneDNN helper) the passes go to oneDNN straight from Java, for float input. */
        private boolean oneDnn() {
            return direct() && helper instanceof MKLDNNConvHelper && input.dataType() == DataType.FLOAT;
        }

        /**
         * ReLU inside oneDNN's forward pass, its gradient from the output: no pre-activations kept (a copy of
         * each layer's output per step) and no separate passes over them (BENCHMARKS.md, "Training throughput",
         * stop 61).
         */
        private boolean fusesRelu() {
            return oneDnn() && layerConf().getActivationFn() instanceof VectorisedRelu;
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (input == null || !fusesRelu()) {
                return super.activate(training, workspaceMgr);
            }
            applyDropOutIfNecessary(training, workspaceMgr);
            INDArray out = convolve(training, true, ArrayType.ACTIVATIONS, workspaceMgr);
            reluOutput = training ? out : null;
            reluOutputInput = training ? input : null;
            return out;
        }

        @Override
        protected Pair<INDArray, INDArray> preOutput(boolean training, boolean forBackprop,
                LayerWorkspaceMgr workspaceMgr) {
            if (!direct()) {
                return super.preOutput(training, forBackprop, workspaceMgr);
            }
            if (preOutput != null && forBackprop) {
                return new Pair<>(preOutput, null); // kept by the forward pass (CacheMode.DEVICE)
            }
            assertInputSet(false);
            if (oneDnn()) {
                return new Pair<>(convolve(training, false, ArrayType.ACTIVATIONS, workspaceMgr), null);
            }
            var conf = layerConf();
            INDArray out = helper.preOutput(input.castTo(dataType),
                    getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, workspaceMgr),
                    getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, workspaceMgr),
                    conf.getKernelSize(), conf.getStride(), conf.getPadding(), conf.getCudnnAlgoMode(),
                    conf.getCudnnFwdAlgo(), convolutionMode, conf.getDilation(), CNN2DFormat.NHWC, workspaceMgr);
            // null: the helper declines this input (not float); DL4J's own path takes it
            return out == null ? super.preOutput(training, forBackprop, workspaceMgr) : new Pair<>(out, null);
        }

        /** The convolution through oneDNN, with ReLU or without (the pre-activations), in a new array. */
        private INDArray convolve(boolean training, boolean relu, ArrayType arrayType, LayerWorkspaceMgr workspaceMgr) {
            var conf = layerConf();
            INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, workspaceMgr);
            int[] outSize = ConvolutionUtils.getOutputSize(input, conf.getKernelSize(), conf.getStride(),
                    convolutionMode == ConvolutionMode.Same ? null : conf.getPadding(), convolutionMode,
                    conf.getDilation(), CNN2DFormat.NHWC);
            INDArray out = workspaceMgr.createUninitialized(arrayType, DataType.FLOAT, input.size(0), outSize[0],
                    outSize[1], weights.size(0));
            oneDnnConvolution().forward(input, weights,
                    getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, workspaceMgr), padding(outSize),
                    out, relu);
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (!direct() || input.dataType() != DataType.FLOAT) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            assertInputSet(true);
            var conf = layerConf();
            INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, workspaceMgr);
            INDArray weightGradient = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
            INDArray biasGradient = gradientViews.get(ConvolutionParamInitializer.BIAS_KEY);
            if (oneDnn()) {
                INDArray gradient = epsilon.castTo(DataType.FLOAT);
                INDArray activated = null;
                if (fusesRelu()) { // the output kept, or made again if this is not the input it came from
                    activated = reluOutput != null && reluOutputInput == input ? reluOutput
                            : convolve(true, true, ArrayType.BP_WORKING_MEM, workspaceMgr);
                } else {
                    gradient = conf.getActivationFn().backprop(preOutput4d(true, true, workspaceMgr).getFirst(),
                            gradient).getFirst();
                }
                INDArray inputGradient = inputGradientWanted
                        ? workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape())
                        : null;
                oneDnnConvolution().backward(input, weights, gradient, activated,
                        padding(new int[] {(int) gradient.size(1), (int) gradient.size(2)}), weightGradient,
                        biasGradient, inputGradient);
                Gradient gradients = new DefaultGradient();
                gradients.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, biasGradient);
                gradients.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, weightGradient, 'c');
                return new Pair<>(gradients, inputGradient == null ? null : backpropDropOutIfPresent(inputGradient));
            }
            INDArray delta = conf.getActivationFn().backprop(preOutput4d(true, true, workspaceMgr).getFirst(),
                    epsilon.castTo(dataType)).getFirst();
            Pair<Gradient, INDArray> gradients = helper.backpropGradient(input, weights,
                    getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, true, workspaceMgr), delta,
                    conf.getKernelSize(), conf.getStride(), conf.getPadding(), biasGradient, weightGradient,
                    conf.getActivationFn(), conf.getCudnnAlgoMode(), conf.getCudnnBwdFilterAlgo(),
                    conf.getCudnnBwdDataAlgo(), convolutionMode, conf.getDilation(), CNN2DFormat.NHWC, workspaceMgr);
            gradients.setSecond(backpropDropOutIfPresent(gradients.getSecond()));
            return gradients;
        }

        @Override
        public void clear() {
            super.clear();
            reluOutput = null;
            reluOutputInput = null;
        }

        private OneDnnConvolution oneDnnConvolution() {
            if (oneDnnConvolution == null) {
                oneDnnConvolution = new OneDnnConvolution(layerConf().getKernelSize(), layerConf().getStride());
            }
            return oneDnnConvolution;
        }

        /** The top-left padding (rows, columns) that gives an output of {@code outSize} (height, width). */
        private int[] padding(int[] outSize) {
            var conf = layerConf();
            return convolutionMode == ConvolutionMode.Same
                    ? ConvolutionUtils.getSameModeTopLeftPadding(outSize,
                            new int[] {(int) input.size(1), (int) input.size(2)}, conf.getKernelSize(),
                            conf.getStride(), conf.getDilation())
                    : conf.getPadding();
        }
    }
}
