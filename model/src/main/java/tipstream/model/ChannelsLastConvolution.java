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
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution layer, except that with channels-last (NHWC) activations it hands them to its
 * oneDNN (or cuDNN) helper as they are. DL4J 1.0.0-M2.1's own layer copies the input to NCHW on every
 * forward pass and runs the activation's backward pass on NCHW views of NHWC arrays (strided
 * elementwise ops), which made NHWC training twice as slow as NCHW; NCHW in turn costs oneDNN a
 * reorder to and from its channels-last kernels around every call, in both passes (BENCHMARKS.md,
 * "Training throughput", stop 55). Same parameters, same initialisation, same saved configuration
 * as DL4J's layer but for the class name; in NCHW, without a bias, or without a helper it is DL4J's
 * layer unchanged.
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
     * backward pass then computes its weights' gradients alone ({@link ConvolutionWeightGradients}), as
     * PyTorch does. Through DL4J's helper it cost ~4 ms of a ~45 ms first-stage step of 32 frames
     * (BENCHMARKS.md, "Training throughput", stop 60).
     */
    static void skipNetworkInputGradients(ComputationGraph network) {
        for (GraphVertex vertex : network.getVertices()) {
            if (vertex.hasLayer() && vertex.getLayer() instanceof Direct direct && vertex.getInputVertices() != null
                    && takesOnlyNetworkInputs(network, vertex)) {
                direct.inputGradient = false;
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

    /** The layer itself: DL4J's, with the channels-last passes going straight to the helper. */
    static final class Direct extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
        /** False when the layer's input is the network's: backprop then returns no gradient for it. */
        private boolean inputGradient = true;
        /** oneDNN's backward-weights pass for this layer, made on its first use. */
        private ConvolutionWeightGradients oneDnnWeightGradients;

        Direct(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /**
         * Straight to the helper: channels last, with a bias, and not dilated (M2.1's oneDNN convolution
         * builds no primitive for a dilated kernel, "could not create a descriptor for a dilated convolution";
         * DL4J's own layer catches that and falls back to its im2col path, which is what a dilated layer gets).
         */
        private boolean direct() {
            var conf = layerConf();
            return helper != null && helperCountFail == 0 && hasBias() && conf.getCnn2dDataFormat() == CNN2DFormat.NHWC
                    && conf.getDilation()[0] == 1 && conf.getDilation()[1] == 1;
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
            var conf = layerConf();
            INDArray out = helper.preOutput(input.castTo(dataType),
                    getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, workspaceMgr),
                    getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, workspaceMgr),
                    conf.getKernelSize(), conf.getStride(), conf.getPadding(), conf.getCudnnAlgoMode(),
                    conf.getCudnnFwdAlgo(), convolutionMode, conf.getDilation(), CNN2DFormat.NHWC, workspaceMgr);
            // null: the helper declines this input (not float); DL4J's own path takes it
            return out == null ? super.preOutput(training, forBackprop, workspaceMgr) : new Pair<>(out, null);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (!direct() || input.dataType() != DataType.FLOAT) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            assertInputSet(true);
            var conf = layerConf();
            INDArray preActivation = preOutput4d(true, true, workspaceMgr).getFirst();
            INDArray delta = conf.getActivationFn().backprop(preActivation, epsilon.castTo(dataType)).getFirst();
            if (!inputGradient && helper instanceof MKLDNNConvHelper) {
                return new Pair<>(weightGradientsAlone(delta), null);
            }
            Pair<Gradient, INDArray> gradients = helper.backpropGradient(input,
                    getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, workspaceMgr),
                    getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, true, workspaceMgr), delta,
                    conf.getKernelSize(), conf.getStride(), conf.getPadding(),
                    gradientViews.get(ConvolutionParamInitializer.BIAS_KEY),
                    gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY), conf.getActivationFn(),
                    conf.getCudnnAlgoMode(), conf.getCudnnBwdFilterAlgo(), conf.getCudnnBwdDataAlgo(),
                    convolutionMode, conf.getDilation(), CNN2DFormat.NHWC, workspaceMgr);
            gradients.setSecond(backpropDropOutIfPresent(gradients.getSecond()));
            return gradients;
        }

        /** The weights' and bias's gradients from the gradient at the pre-activations ({@code delta}, NHWC) alone. */
        private Gradient weightGradientsAlone(INDArray delta) {
            var conf = layerConf();
            if (oneDnnWeightGradients == null) {
                oneDnnWeightGradients = new ConvolutionWeightGradients(conf.getKernelSize(), conf.getStride());
            }
            int[] padding = convolutionMode == ConvolutionMode.Same
                    ? ConvolutionUtils.getSameModeTopLeftPadding(new int[] {(int) delta.size(1), (int) delta.size(2)},
                            new int[] {(int) input.size(1), (int) input.size(2)}, conf.getKernelSize(), conf.getStride(),
                            conf.getDilation())
                    : conf.getPadding();
            INDArray weightGradient = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
            INDArray biasGradient = gradientViews.get(ConvolutionParamInitializer.BIAS_KEY);
            oneDnnWeightGradients.compute(input, delta, padding, weightGradient, biasGradient);
            Gradient gradient = new DefaultGradient();
            gradient.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, biasGradient);
            gradient.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, weightGradient, 'c');
            return gradient;
        }
    }
}
