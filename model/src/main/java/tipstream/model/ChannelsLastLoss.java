package tipstream.model;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * DL4J's per-position loss layer (each map position's channels one row), whose score reads its maps in
 * their own layout: DL4J 1.0.0-M2.1's {@code CnnLossLayer.computeScore} reads every map as NCHW, so a
 * channels-last network's score (not its gradient, which honours the layout) came out of the wrong
 * rows.
 */
public class ChannelsLastLoss extends CnnLossLayer {
    /** For DL4J's JSON configuration. */
    public ChannelsLastLoss() {
    }

    public ChannelsLastLoss(ILossFunction loss) {
        setLossFn(loss);
        setActivationFn(new ActivationIdentity());
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return ChannelsLastConvolution.wired(new InLayout(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializer().init(conf, layerParamsView, initializeParams));
    }

    /** The layer itself: DL4J's, with the score taken in the maps' layout. */
    static final class InLayout extends org.deeplearning4j.nn.layers.convolution.CnnLossLayer {
        InLayout(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
            var format = layerConf().getFormat();
            INDArray rows = ConvolutionUtils.reshape4dTo2d(input, format, workspaceMgr, ArrayType.FF_WORKING_MEM);
            INDArray labelRows = ConvolutionUtils.reshape4dTo2d(labels, format, workspaceMgr, ArrayType.FF_WORKING_MEM);
            INDArray mask = ConvolutionUtils.reshapeMaskIfRequired(maskArray, input, format, workspaceMgr,
                    ArrayType.FF_WORKING_MEM);
            score = layerConf().getLossFn().computeScore(labelRows, rows.dup(), layerConf().getActivationFn(), mask,
                    false) / getInputMiniBatchSize() + fullNetRegTerm;
            return score;
        }
    }
}
