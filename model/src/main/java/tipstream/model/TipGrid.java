package tipstream.model;

/**
 * The YOLO-style label encoding of BACKGROUND.md: the frame is cut into {@code cols x rows}
 * cells; the cell that holds the tip has presence 1 and the tip's offset inside the cell (0..1
 * from its top-left corner); every other cell is all zeros. Coordinates are original-frame
 * pixels, whatever size the network sees.
 */
public record TipGrid(double frameWidth, double frameHeight, int cols, int rows) implements TipEncoding {
    public static final int CHANNELS = 3;
    public static final int PRESENCE = 0;
    public static final int OFFSET_X = 1;
    public static final int OFFSET_Y = 2;

    public TipGrid {
        if (frameWidth <= 0 || frameHeight <= 0 || cols <= 0 || rows <= 0) {
            throw new IllegalArgumentException("grid needs a positive frame size and cell counts");
        }
    }

    @Override
    public int channels() {
        return CHANNELS;
    }

    public double cellWidth() {
        return frameWidth / cols;
    }

    public double cellHeight() {
        return frameHeight / rows;
    }

    /** A tip's cell and in-cell offsets. */
    public record Cell(int col, int row, double offsetX, double offsetY) {
    }

    /**
     * The cell of a tip. A tip on a border between cells belongs to the cell right of / below it;
     * a tip on the frame's right or bottom edge to the last cell, with offset 1.
     */
    public Cell cellOf(double x, double y) {
        if (!(x >= 0 && x <= frameWidth && y >= 0 && y <= frameHeight)) {
            throw new IllegalArgumentException("tip (" + x + ", " + y + ") lies outside the " + frameWidth + " x "
                    + frameHeight + " frame");
        }
        int col = Math.min(cols - 1, (int) Math.floor(x / cellWidth()));
        int row = Math.min(rows - 1, (int) Math.floor(y / cellHeight()));
        return new Cell(col, row, x / cellWidth() - col, y / cellHeight() - row);
    }

    /**
     * The training target, laid out channel-major as the network's output: {@code [c][row][col]},
     * flattened. All zeros for a frame without a tip.
     */
    @Override
    public float[] encode(boolean visible, double x, double y) {
        float[] target = new float[CHANNELS * rows * cols];
        if (visible) {
            Cell cell = cellOf(x, y);
            target[index(PRESENCE, cell.row(), cell.col())] = 1f;
            target[index(OFFSET_X, cell.row(), cell.col())] = (float) cell.offsetX();
            target[index(OFFSET_Y, cell.row(), cell.col())] = (float) cell.offsetY();
        }
        return target;
    }

    /**
     * Decodes raw network output laid out like {@link #encode}: the cell with the highest presence
     * logit, its presence probability and its in-cell offsets (sigmoids of their logits).
     */
    @Override
    public TipPrediction decode(float[] logits) {
        int bestRow = 0;
        int bestCol = 0;
        float best = Float.NEGATIVE_INFINITY;
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                float p = logits[index(PRESENCE, row, col)];
                if (p > best) {
                    best = p;
                    bestRow = row;
                    bestCol = col;
                }
            }
        }
        double ox = sigmoid(logits[index(OFFSET_X, bestRow, bestCol)]);
        double oy = sigmoid(logits[index(OFFSET_Y, bestRow, bestCol)]);
        return new TipPrediction(sigmoid(best), (bestCol + ox) * cellWidth(), (bestRow + oy) * cellHeight());
    }

    static double sigmoid(double logit) {
        return 1 / (1 + Math.exp(-logit));
    }
}
