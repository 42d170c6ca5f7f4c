package tipstream.model;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test-time views: each frame located as it is and moved by half a first-stage cell (4 of the
 * network's input pixels, ~16 frame pixels, on the heatmap preset's ~32 px cells) right, down, both,
 * and back both, each view's place moved back; the frame's answer is the place the views' presence most
 * supports ({@link #combine}), with the views' mean presence. A tip near a cell's edge or corner sits in mid-cell
 * in another view, and one view's wrong place is outvoted. Measured on four main-job checkpoints (BENCHMARKS.md, "Model
 * quality", ShiftedViewsProbe), each at its own validation-calibrated threshold: eval overall_mean
 * 0.896 / 0.876 / 0.860 / 0.865 with one view, 0.908 / 0.887 / 0.885 / 0.885 with five, presence ROC
 * AUC up by 0.004-0.008 each; five times the inference.
 */
public final class ShiftedViews {
    /** The views' shifts in half cells; the first is the frame as it is. */
    private static final int[][] HALF_CELLS = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {-1, -1}};
    /** The most views there are. */
    public static final int MAX = HALF_CELLS.length;

    private ShiftedViews() {
    }

    /**
     * Each frame's tip in {@code encoding}'s frame pixels from {@code views} views (1: the frame as
     * it is, exactly {@link TipNet#locate(List, TipEncoding)}; up to {@link #MAX}).
     */
    public static List<TipPrediction> locate(TipNet net, List<BufferedImage> frames, TipEncoding encoding, int views) {
        return combined(answers(net, frames, encoding, checked(views)));
    }

    /** {@code views} when it is a number of views there are (1 to {@link #MAX}); otherwise fails with the range. */
    public static int checked(int views) {
        if (views < 1 || views > MAX) {
            throw new IllegalArgumentException("views must be 1 to " + MAX + ", not " + views);
        }
        return views;
    }

    /** Each view's answers, [view][frame], in {@code encoding}'s frame pixels (each view's place moved back). */
    public static List<List<TipPrediction>> answers(TipNet net, List<BufferedImage> frames, TipEncoding encoding,
            int views) {
        INDArray input = FrameTensor.batch(frames, net.config().inputHeight(), net.config().inputWidth());
        return answers(net, frames, encoding, input, net.output(input), views);
    }

    /**
     * {@link #answers(TipNet, List, TipEncoding, int)} from the frames' input ({@link FrameTensor#batch})
     * and the network's output on it, the first view, already made (eval scores its loss on it). The
     * other views move that input by half a cell in the network's input pixels, so each frame is
     * scaled to the input size once; the refiner still crops the frames as they are.
     */
    public static List<List<TipPrediction>> answers(TipNet net, List<BufferedImage> frames, TipEncoding encoding,
            INDArray input, INDArray output, int views) {
        TipNetConfig shape = net.config();
        int halfCell = Math.max(1, shape.stride() / 2);
        double frameX = encoding.frameWidth() / shape.inputWidth();
        double frameY = encoding.frameHeight() / shape.inputHeight();
        checked(views);
        List<List<TipPrediction>> answers = new ArrayList<>();
        for (int v = 0; v < views; v++) {
            int dx = HALF_CELLS[v][0] * halfCell;
            int dy = HALF_CELLS[v][1] * halfCell;
            INDArray seen = v == 0 ? output : net.output(shift(input, dx, dy));
            answers.add(net.locateMoved(frames, seen, encoding, dx * frameX, dy * frameY));
        }
        return answers;
    }

    /** Each frame's views ([view][frame]) as one answer per frame ({@link #combine(List)}). */
    public static List<TipPrediction> combined(List<List<TipPrediction>> answers) {
        List<TipPrediction> combined = new ArrayList<>(answers.get(0).size());
        for (int i = 0; i < answers.get(0).size(); i++) {
            int frame = i;
            combined.add(combine(answers.stream().map(answer -> answer.get(frame)).toList()));
        }
        return combined;
    }

    /**
     * One frame's views as one answer, with their mean presence: a vote, each view's place weighted by its
     * presence (is the tip where this view says), among the views placed within the seed's 10 px of it; then, of
     * the winning place's views, the one nearest their median place. Where all views agree that is the view
     * nearest the median, as before; where they split, the place with more presence behind it wins, not the
     * place more views chose. Measured on eight checkpoints of three main jobs (BENCHMARKS.md, "Model
     * quality", stop 48), against the view nearest the median of all views: eval overall_mean up on seven (+0.001
     * to +0.006) and level on one, dist_mean down by 0.07 px on average, validation overall_mean never lower.
     */
    public static TipPrediction combine(List<TipPrediction> views) {
        List<TipPrediction> winners = List.of();
        double mostSupport = Double.NEGATIVE_INFINITY;
        for (TipPrediction view : views) {
            List<TipPrediction> near = views.stream().filter(o -> Math.hypot(o.x() - view.x(), o.y() - view.y())
                    <= TipMetrics.POINT_TOLERANCE_PX).toList();
            double support = near.stream().mapToDouble(TipPrediction::presence).sum();
            if (support > mostSupport) {
                mostSupport = support;
                winners = near;
            }
        }
        double mx = median(winners.stream().mapToDouble(TipPrediction::x).toArray());
        double my = median(winners.stream().mapToDouble(TipPrediction::y).toArray());
        TipPrediction nearest = winners.stream().min(Comparator.comparingDouble(p -> Math.hypot(p.x() - mx,
                p.y() - my))).orElseThrow();
        double presence = views.stream().mapToDouble(TipPrediction::presence).average().orElseThrow();
        return new TipPrediction(presence, nearest.x(), nearest.y());
    }

    /**
     * A batch [N, C, H, W] moved by (dx, dy) pixels, its edge repeated into the gap (as the
     * augmentation's border); the batch itself when not moved.
     */
    static INDArray shift(INDArray batch, int dx, int dy) {
        if (dx == 0 && dy == 0) {
            return batch;
        }
        long[] shape = batch.shape();
        int w = (int) shape[3];
        int h = (int) shape[2];
        int planes = (int) (shape[0] * shape[1]);
        float[] in = batch.dup('c').data().asFloat();
        float[] out = new float[in.length];
        for (int p = 0; p < planes; p++) {
            int plane = p * h * w;
            for (int y = 0; y < h; y++) {
                int from = plane + Math.max(0, Math.min(h - 1, y - dy)) * w;
                int to = plane + y * w;
                for (int x = 0; x < w; x++) {
                    out[to + x] = in[from + Math.max(0, Math.min(w - 1, x - dx))];
                }
            }
        }
        return Nd4j.create(out, shape, DataType.FLOAT);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
