package tipstream.model;

import java.util.Objects;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.common.primitives.Pair;

/**
 * The grid localiser's loss, per grid cell (DL4J's CnnLossLayer hands one row per cell:
 * [presence logit, x logit, y logit] against the label [presence, x offset, y offset]):
 * {@code presenceWeight * BCE(sigmoid(logit), presence)} over every cell, plus
 * {@code xyWeight * ((sigmoid(x) - tx)^2 + (sigmoid(y) - ty)^2)} only where the label's presence is
 * 1, which is only the tip's cell, and never in a frame without a tip (BACKGROUND.md: the seed
 * project's xy loss over every cell mostly learned background). The sigmoids are applied here,
 * so the layer's activation must be identity; BCE uses the stable form with logits.
 */
public class TipLoss implements ILossFunction {
    private double presenceWeight = 5.0;
    private double xyWeight = 1.0;

    /** For DL4J's model (de)serialisation. */
    public TipLoss() {
    }

    public TipLoss(double presenceWeight, double xyWeight) {
        this.presenceWeight = presenceWeight;
        this.xyWeight = xyWeight;
    }

    public double getPresenceWeight() {
        return presenceWeight;
    }

    public void setPresenceWeight(double presenceWeight) {
        this.presenceWeight = presenceWeight;
    }

    public double getXyWeight() {
        return xyWeight;
    }

    public void setXyWeight(double xyWeight) {
        this.xyWeight = xyWeight;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray logit = preOutput.getColumn(0, true);
        INDArray presence = labels.getColumn(0, true);
        // BCE with logits: max(z, 0) - z * y + log(1 + exp(-|z|))
        INDArray bce = Transforms.relu(logit, true)
                .subi(logit.mul(presence))
                .addi(Transforms.log(Transforms.exp(Transforms.abs(logit, true).negi(), false).addi(1.0), false));
        INDArray dx = Transforms.sigmoid(preOutput.getColumn(1, true), true).subi(labels.getColumn(1, true));
        INDArray dy = Transforms.sigmoid(preOutput.getColumn(2, true), true).subi(labels.getColumn(2, true));
        INDArray xy = dx.muli(dx).addi(dy.mul(dy)).muli(presence);
        INDArray score = bce.muli(presenceWeight).addi(xy.muli(xyWeight));
        if (mask != null) {
            score.muli(mask.reshape(score.shape()));
        }
        return score;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
            boolean average) {
        double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / preOutput.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray presence = labels.getColumn(0, true);
        INDArray gradient = preOutput.ulike();
        INDArray p = Transforms.sigmoid(preOutput.getColumn(0, true), true);
        gradient.putColumn(0, p.subi(presence).muli(presenceWeight));
        for (int c = 1; c <= 2; c++) {
            INDArray s = Transforms.sigmoid(preOutput.getColumn(c, true), true);
            // d/dz (s - t)^2 = 2 (s - t) s (1 - s)
            INDArray g = s.sub(labels.getColumn(c, true)).muli(2 * xyWeight).muli(s).muli(s.rsub(1.0)).muli(presence);
            gradient.putColumn(c, g);
        }
        if (mask != null) {
            gradient.muliColumnVector(mask.reshape(mask.length(), 1));
        }
        return gradient;
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
            INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return "TipLoss(presence=" + presenceWeight + ", xy=" + xyWeight + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TipLoss other && other.presenceWeight == presenceWeight && other.xyWeight == xyWeight;
    }

    @Override
    public int hashCode() {
        return Objects.hash(presenceWeight, xyWeight);
    }

    @Override
    public String toString() {
        return name();
    }
}
