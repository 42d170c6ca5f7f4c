package tipstream.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The heatmap encoding (CenterNet-like, Zhou et al. 2019) on a fine output grid: each cell of
 * {@code cellWidth x cellHeight} original-frame pixels (the network's output stride times the
 * frame's scale-down) has four output channels:
 * <ol start="0">
 * <li>{@link #HEAT}: a logit of where the tip is; a softmax over all cells makes it a distribution;</li>
 * <li>{@link #PRESENCE}: a presence logit per cell (is the tip in this cell?); the frame's presence
 *     is the most confident of the 3 x 3 cells around where the heat places the tip: is the tip
 *     where we say it is, not somewhere;</li>
 * <li>{@link #OFFSET_X}, {@link #OFFSET_Y}: the tip's position relative to the cell's top-left
 *     corner, in cells (0..1 inside the cell; its neighbours see -1..2).</li>
 * </ol>
 * The target has the same four channels: the tip's distribution over cells (a Gaussian of
 * {@link #SIGMA_CELLS} around the tip, summing to 1; all zeros for a frame without a tip), the
 * weight of the offset regression (1 in the 3 x 3 cells around the tip's cell), and the offsets.
 * Decoding takes the most likely cell and averages where it and its neighbours point (their
 * offsets, weighted by the heat's softmax over the 3 x 3), so the position is sub-cell.
 */
public record TipHeatmap(double frameWidth, double frameHeight, int cols, int rows, double cellWidth,
        double cellHeight) implements TipEncoding {
    public static final int CHANNELS = 4;
    public static final int HEAT = 0;
    public static final int PRESENCE = 1;
    /** In the target, channel 1 is the offset regression's weight. */
    public static final int OFFSET_WEIGHT = 1;
    public static final int OFFSET_X = 2;
    public static final int OFFSET_Y = 3;
    /** Spread of the target distribution, in cells: neighbours of a tip near a border share it. */
    public static final double SIGMA_CELLS = 0.5;
    /** How many cells apart, each way, two {@link #candidates} are at least. */
    public static final int CANDIDATES_APART = 2;

    public TipHeatmap {
        if (frameWidth <= 0 || frameHeight <= 0 || cols <= 0 || rows <= 0 || cellWidth <= 0 || cellHeight <= 0) {
            throw new IllegalArgumentException("heatmap needs a positive frame size, cell counts and cell size");
        }
        if (cols * cellWidth < frameWidth || rows * cellHeight < frameHeight) {
            throw new IllegalArgumentException("a " + cols + " x " + rows + " heatmap of " + cellWidth + " x "
                    + cellHeight + " px cells does not cover the " + frameWidth + " x " + frameHeight + " frame");
        }
    }

    @Override
    public int channels() {
        return CHANNELS;
    }

    @Override
    public float[] encode(boolean visible, double x, double y) {
        float[] target = new float[CHANNELS * rows * cols];
        if (!visible) {
            return target;
        }
        if (!(x >= 0 && x <= frameWidth && y >= 0 && y <= frameHeight)) {
            throw new IllegalArgumentException("tip (" + x + ", " + y + ") lies outside the " + frameWidth + " x "
                    + frameHeight + " frame");
        }
        double cx = x / cellWidth; // the tip in cell units
        double cy = y / cellHeight;
        int tipCol = Math.min(cols - 1, (int) Math.floor(cx));
        int tipRow = Math.min(rows - 1, (int) Math.floor(cy));
        double total = 0;
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                double dx = col + 0.5 - cx;
                double dy = row + 0.5 - cy;
                double weight = Math.exp(-(dx * dx + dy * dy) / (2 * SIGMA_CELLS * SIGMA_CELLS));
                target[index(HEAT, row, col)] = (float) weight;
                total += weight;
                if (Math.abs(row - tipRow) <= 1 && Math.abs(col - tipCol) <= 1) {
                    target[index(OFFSET_WEIGHT, row, col)] = 1f;
                    target[index(OFFSET_X, row, col)] = (float) (cx - col);
                    target[index(OFFSET_Y, row, col)] = (float) (cy - row);
                }
            }
        }
        for (int i = 0; i < rows * cols; i++) {
            target[i] = (float) (target[i] / total);
        }
        return target;
    }

    @Override
    public TipPrediction decode(float[] logits) {
        int cells = rows * cols;
        int best = 0;
        for (int i = 1; i < cells; i++) {
            if (logits[HEAT * cells + i] > logits[HEAT * cells + best]) {
                best = i;
            }
        }
        return decodeAt(logits, best);
    }

    /**
     * The strongest cells of the heat that are also the strongest within {@link #CANDIDATES_APART}
     * cells each way; the share is the heat's softmax in the cell.
     */
    @Override
    public List<Candidate> candidates(float[] logits, int count) {
        int cells = rows * cols;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < cells; i++) {
            max = Math.max(max, logits[HEAT * cells + i]);
        }
        double sum = 0;
        for (int i = 0; i < cells; i++) {
            sum += Math.exp(logits[HEAT * cells + i] - max);
        }
        List<Integer> peaks = new ArrayList<>();
        for (int i = 0; i < cells; i++) {
            if (strongestAround(logits, i)) {
                peaks.add(i);
            }
        }
        peaks.sort((a, b) -> Float.compare(logits[HEAT * cells + b], logits[HEAT * cells + a]));
        List<Candidate> found = new ArrayList<>();
        for (int i : peaks.subList(0, Math.min(count, peaks.size()))) {
            found.add(new Candidate(decodeAt(logits, i), Math.exp(logits[HEAT * cells + i] - max) / sum));
        }
        return found;
    }

    /** Whether the heat in {@code cell} is the strongest within {@link #CANDIDATES_APART} cells (the first of equals). */
    private boolean strongestAround(float[] logits, int cell) {
        int offset = HEAT * rows * cols;
        int row = cell / cols;
        int col = cell % cols;
        for (int r = Math.max(0, row - CANDIDATES_APART); r <= Math.min(rows - 1, row + CANDIDATES_APART); r++) {
            for (int c = Math.max(0, col - CANDIDATES_APART); c <= Math.min(cols - 1, col + CANDIDATES_APART); c++) {
                int other = r * cols + c;
                float heat = logits[offset + other];
                if (heat > logits[offset + cell] || (heat == logits[offset + cell] && other < cell)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The tip decoded as {@link #decode} does, its cell chosen by the heat times a Gaussian of
     * {@code sigmaPx} around (x, y): where the tip was expected before this map was looked at.
     */
    public TipPrediction decodeNear(float[] logits, double x, double y, double sigmaPx) {
        int cells = rows * cols;
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < cells; i++) {
            double dx = (i % cols + 0.5) * cellWidth - x;
            double dy = (i / cols + 0.5) * cellHeight - y;
            double score = logits[HEAT * cells + i] - (dx * dx + dy * dy) / (2 * sigmaPx * sigmaPx);
            if (score > bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return decodeAt(logits, best);
    }

    /** The tip decoded around one cell: its position from the 3 x 3 cells' offsets, its presence from theirs. */
    private TipPrediction decodeAt(float[] logits, int best) {
        int cells = rows * cols;
        int row = best / cols;
        int col = best % cols;
        // Each of the 3 x 3 cells around the peak learnt to point at the tip (its offsets); their
        // pointers are averaged, weighted by the heat's softmax over them.
        double weights = 0;
        double x = 0;
        double y = 0;
        for (int r = Math.max(0, row - 1); r <= Math.min(rows - 1, row + 1); r++) {
            for (int c = Math.max(0, col - 1); c <= Math.min(cols - 1, col + 1); c++) {
                double w = Math.exp(logits[index(HEAT, r, c)] - logits[HEAT * cells + best]);
                weights += w;
                x += w * (c + logits[index(OFFSET_X, r, c)]);
                y += w * (r + logits[index(OFFSET_Y, r, c)]);
            }
        }
        x = x / weights * cellWidth;
        y = y / weights * cellHeight;
        // Measured (BENCHMARKS.md, "Model quality"): the most confident cell anywhere says "tip" on
        // decoys while the heat places the tip elsewhere; read where the tip is placed instead.
        float mostConfident = Float.NEGATIVE_INFINITY;
        for (int r = Math.max(0, row - 1); r <= Math.min(rows - 1, row + 1); r++) {
            for (int c = Math.max(0, col - 1); c <= Math.min(cols - 1, col + 1); c++) {
                mostConfident = Math.max(mostConfident, logits[index(PRESENCE, r, c)]);
            }
        }
        double presence = TipGrid.sigmoid(mostConfident);
        return new TipPrediction(presence, clamp(x, frameWidth), clamp(y, frameHeight));
    }

    private static double clamp(double v, double max) {
        return Math.max(0, Math.min(max, v));
    }
}
