package tipstream.model;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import tipstream.dataset.FrameResize;

/**
 * Test-time views: each frame located as it is and moved by half a first-stage cell (16 frame
 * pixels on the heatmap preset's ~32 px cells) right, down, both, and back both, each view's place
 * moved back; the frame's answer is the view placed nearest the views' median place, with the
 * views' mean presence. A tip near a cell's edge or corner sits in mid-cell in another view, and
 * one view's wrong place is outvoted. Measured on four main-job checkpoints (BENCHMARKS.md, "Model
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
        if (checked(views) == 1) {
            return net.locate(frames, encoding);
        }
        List<List<TipPrediction>> answers = answers(net, frames, encoding, views);
        List<TipPrediction> combined = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            int frame = i;
            combined.add(combine(answers.stream().map(answer -> answer.get(frame)).toList()));
        }
        return combined;
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
        int width = (int) Math.round(encoding.frameWidth());
        int height = (int) Math.round(encoding.frameHeight());
        int halfCell = Math.max(1, (int) Math.round(net.config().stride() * encoding.frameWidth()
                / net.config().inputWidth() / 2));
        List<BufferedImage> full = frames.stream().map(f -> FrameResize.to(f, width, height)).toList();
        List<List<TipPrediction>> answers = new ArrayList<>();
        for (int v = 0; v < views; v++) {
            int dx = HALF_CELLS[v][0] * halfCell;
            int dy = HALF_CELLS[v][1] * halfCell;
            List<TipPrediction> placed = net.locate(full.stream().map(f -> shift(f, dx, dy)).toList(), encoding);
            answers.add(placed.stream().map(p -> new TipPrediction(p.presence(), Math.max(0, Math.min(width, p.x() - dx)),
                    Math.max(0, Math.min(height, p.y() - dy)))).toList());
        }
        return answers;
    }

    /** One frame's views as one answer: the view placed nearest their median place, with their mean presence. */
    public static TipPrediction combine(List<TipPrediction> views) {
        double mx = median(views.stream().mapToDouble(TipPrediction::x).toArray());
        double my = median(views.stream().mapToDouble(TipPrediction::y).toArray());
        TipPrediction nearest = views.stream().min(Comparator.comparingDouble(p -> Math.hypot(p.x() - mx, p.y() - my)))
                .orElseThrow();
        double presence = views.stream().mapToDouble(TipPrediction::presence).average().orElseThrow();
        return new TipPrediction(presence, nearest.x(), nearest.y());
    }

    /** An 8-bit grayscale image moved by (dx, dy) pixels, its edge repeated into the gap (as the augmentation's border). */
    static BufferedImage shift(BufferedImage image, int dx, int dy) {
        return dx == 0 && dy == 0 ? image : TipRefiner.cut(image, -dx, -dy, image.getWidth(), image.getHeight());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
