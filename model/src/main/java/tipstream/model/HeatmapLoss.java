package tipstream.model;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The loss of the {@link TipHeatmap} head, per frame (DL4J's CnnLossLayer hands one row per cell,
 * each frame's {@code cellsPerFrame} rows in a block, channels as in TipHeatmap):
 * <ul>
 * <li>where: cross-entropy between the softmax of the heat logits over the frame's cells and the
 *     target distribution, {@code LSE(h) * sum(t) - sum(t * h)}; zero for a frame without a tip;</li>
 * <li>whether: {@code presenceWeight *} the penalty-reduced focal loss of CenterNet (Zhou et al.
 *     2019) on each cell's presence {@code p = sigmoid(q)}: {@code -(1 - p)^2 log p} at the tip's
 *     cell, {@code -(1 - y)^4 p^2 log(1 - p)} at every other cell, where {@code y} is the target
 *     distribution scaled to 1 at the tip's cell (neighbours of the tip are barely penalised). Every
 *     cell of every frame is a negative unless it holds the tip, so look-alikes (decoy knobs) are
 *     taught "no" in every frame they appear in; the frame's presence is read around where the heat
 *     places the tip ({@link TipHeatmap});</li>
 * <li>exactly where: {@code offsetWeight * mean |offset - target|} (L1, in cells) over the cells
 *     the target weighs (the 3 x 3 around the tip's cell; none for a frame without a tip).</li>
 * </ul>
 * Computed on plain arrays: a frame is a few hundred cells, and one pass in Java is cheaper than
 * the dozens of small native operations the same formulas take in ND4J.
 */
public class HeatmapLoss implements ILossFunction {
    private int cellsPerFrame;
    private double presenceWeight = 1.0;
    private double offsetWeight = 1.0;

    /** For DL4J's model (de)serialisation. */
    public HeatmapLoss() {
    }

    public HeatmapLoss(int cellsPerFrame, double presenceWeight, double offsetWeight) {
        this.cellsPerFrame = cellsPerFrame;
        this.presenceWeight = presenceWeight;
        this.offsetWeight = offsetWeight;
    }

    public int getCellsPerFrame() {
        return cellsPerFrame;
    }

    public void setCellsPerFrame(int cellsPerFrame) {
        this.cellsPerFrame = cellsPerFrame;
    }

    public double getPresenceWeight() {
        return presenceWeight;
    }

    public void setPresenceWeight(double presenceWeight) {
        this.presenceWeight = presenceWeight;
    }

    public double getOffsetWeight() {
        return offsetWeight;
    }

    public void setOffsetWeight(double offsetWeight) {
        this.offsetWeight = offsetWeight;
    }

    /** Each frame's loss, and the gradient when {@code gradient} is not null (same layout as the rows). */
    private double[] frameLosses(INDArray labels, INDArray preOutput, INDArray mask, double[] gradient) {
        if (mask != null) {
            throw new IllegalArgumentException("the heatmap loss takes no mask");
        }
        int channels = TipHeatmap.CHANNELS;
        if (preOutput.columns() != channels || preOutput.rows() % cellsPerFrame != 0) {
            throw new IllegalArgumentException("expected rows of " + channels + " channels, " + cellsPerFrame
                    + " cells per frame; got " + preOutput.rows() + " x " + preOutput.columns());
        }
        double[] out = preOutput.dup('c').data().asDouble();
        double[] lab = labels.dup('c').data().asDouble();
        int frames = preOutput.rows() / cellsPerFrame;
        double[] losses = new double[frames];
        double[] heat = new double[cellsPerFrame];
        double[] presence = new double[cellsPerFrame];
        for (int f = 0; f < frames; f++) {
            int base = f * cellsPerFrame * channels;
            double targetMass = 0;
            double offsetMass = 0;
            for (int i = 0; i < cellsPerFrame; i++) {
                heat[i] = out[base + i * channels + TipHeatmap.HEAT];
                presence[i] = out[base + i * channels + TipHeatmap.PRESENCE];
                targetMass += lab[base + i * channels + TipHeatmap.HEAT];
                offsetMass += lab[base + i * channels + TipHeatmap.OFFSET_WEIGHT];
            }
            double heatLse = softmaxInPlace(heat);
            double peak = 0;
            for (int i = 0; i < cellsPerFrame; i++) {
                peak = Math.max(peak, lab[base + i * channels + TipHeatmap.HEAT]);
            }
            double loss = heatLse * targetMass;
            for (int i = 0; i < cellsPerFrame; i++) {
                int at = base + i * channels;
                double t = lab[at + TipHeatmap.HEAT];
                double w = lab[at + TipHeatmap.OFFSET_WEIGHT];
                double ex = out[at + TipHeatmap.OFFSET_X] - lab[at + TipHeatmap.OFFSET_X];
                double ey = out[at + TipHeatmap.OFFSET_Y] - lab[at + TipHeatmap.OFFSET_Y];
                loss -= t * out[at + TipHeatmap.HEAT];
                double y = peak > 0 ? t / peak : 0;
                double[] focal = focal(presence[i], y);
                loss += presenceWeight * focal[0];
                if (w > 0) {
                    loss += offsetWeight * w * (Math.abs(ex) + Math.abs(ey)) / offsetMass;
                }
                if (gradient != null) {
                    gradient[at + TipHeatmap.HEAT] = targetMass * heat[i] - t;
                    gradient[at + TipHeatmap.PRESENCE] = presenceWeight * focal[1];
                    gradient[at + TipHeatmap.OFFSET_X] = w > 0 ? offsetWeight * w * Math.signum(ex) / offsetMass : 0;
                    gradient[at + TipHeatmap.OFFSET_Y] = w > 0 ? offsetWeight * w * Math.signum(ey) / offsetMass : 0;
                }
            }
            losses[f] = loss;
        }
        return losses;
    }

    /**
     * The focal loss of one cell's presence logit {@code q} against its target {@code y} (1 at the
     * tip's cell), and its derivative by {@code q}.
     */
    static double[] focal(double q, double y) {
        // one exp and one log a cell (this runs for every cell of every frame, twice a step), stable at any q
        double e = Math.exp(-Math.abs(q));
        double softplus = log1p(e); // log(1 + exp(-|q|))
        double p = q >= 0 ? 1 / (1 + e) : e / (1 + e);
        double logP = -(Math.max(-q, 0) + softplus); // log sigmoid(q)
        double log1mP = -(Math.max(q, 0) + softplus); // log (1 - sigmoid(q))
        if (y >= 1) {
            double loss = -(1 - p) * (1 - p) * logP;
            return new double[] {loss, 2 * (1 - p) * (1 - p) * p * logP - (1 - p) * (1 - p) * (1 - p)};
        }
        double weight = (1 - y) * (1 - y) * (1 - y) * (1 - y);
        double loss = -weight * p * p * log1mP;
        return new double[] {loss, -weight * (2 * p * p * (1 - p) * log1mP - p * p * p)};
    }

    /**
     * log(1 + x) for x in [0, 1], to within ~1e-12 of it: JDK 17's {@code Math.log1p} is a JNI call
     * (1.2 % of a refiner step in perf, BENCHMARKS.md "Training throughput", stop 55), {@code Math.log} is
     * compiled in; below 1e-4, where 1 + x would lose x's digits, four terms of its series.
     */
    static double log1p(double x) {
        return x > 1e-4 ? Math.log(1 + x) : x * (1 - x * (0.5 - x * (1.0 / 3 - x * 0.25)));
    }

    /** Replaces the logits by their softmax; returns their log-sum-exp. */
    private static double softmaxInPlace(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = Math.exp(logits[i] - max);
            sum += logits[i];
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= sum;
        }
        return max + Math.log(sum);
    }

    /** One row per cell; each frame's loss sits in its first cell's row, the other rows are 0. */
    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        double[] losses = frameLosses(labels, preOutput, mask, null);
        double[] perRow = new double[preOutput.rows()];
        for (int f = 0; f < losses.length; f++) {
            perRow[f * cellsPerFrame] = losses[f];
        }
        return Nd4j.create(perRow, new long[] {perRow.length, 1}, preOutput.dataType());
    }

    /** The sum over frames, or with {@code average} the mean per frame. */
    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
            boolean average) {
        double[] losses = frameLosses(labels, preOutput, mask, null);
        double sum = 0;
        for (double loss : losses) {
            sum += loss;
        }
        return average ? sum / losses.length : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        double[] gradient = new double[(int) preOutput.length()];
        frameLosses(labels, preOutput, mask, gradient);
        return Nd4j.create(gradient, preOutput.shape(), preOutput.dataType());
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
            INDArray mask, boolean average) {
        double[] gradient = new double[(int) preOutput.length()];
        double[] losses = frameLosses(labels, preOutput, mask, gradient);
        double sum = 0;
        for (double loss : losses) {
            sum += loss;
        }
        return new Pair<>(average ? sum / losses.length : sum,
                Nd4j.create(gradient, preOutput.shape(), preOutput.dataType()));
    }

    @Override
    public String name() {
        return "HeatmapLoss(cells=" + cellsPerFrame + ", presence=" + presenceWeight + ", offset=" + offsetWeight + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeatmapLoss other && other.cellsPerFrame == cellsPerFrame
                && other.presenceWeight == presenceWeight && other.offsetWeight == offsetWeight;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cellsPerFrame, presenceWeight, offsetWeight);
    }

    @Override
    public String toString() {
        return name();
    }
}
