package tipstream.model;

/**
 * The YOLO-style label encoding of BACKGROUND.md: the frame is cut into {@code cols x rows}
 * cells; the cell that holds the tip has presence 1 and the tip's offset inside the cell (0..1
 * from its top-left corner); every other cell is all zeros. Coordinates are original-frame
 * pixels, whatever size the network sees.
 */
public record TipGrid(double frameWidth, double frameHeight, int cols, int rows) {
    public static final int CHANNELS = 3;
    public static final int PRESENCE = 0;
    public static final int OFFSET_X = 1;
    public static final int OFFSET_Y = 2;

    public TipGrid {
        if (frameWidth <= 0 || frameHeight <= 0 || cols <= 0 || rows <= 0) {
            throw new IllegalArgumentException("grid needs a positive frame size and cell counts");
        }
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

    public int index(int channel, int row, int col) {
        return (channel * rows + row) * cols + col;
    }

    /** A decoded prediction: the most confident cell's presence and its tip in frame pixels. */
    public record Prediction(double presence, double x, double y) {
        public boolean tipPresent(double threshold) {
            return presence >= threshold;
        }
    }

    /**
     * Decodes an output laid out like {@link #encode}: the cell with the highest presence (already
     * a probability) plus its in-cell offsets, clamped to the cell.
     */
    public Prediction decode(float[] output) {
        int bestRow = 0;
        int bestCol = 0;
        float best = Float.NEGATIVE_INFINITY;
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                float p = output[index(PRESENCE, row, col)];
                if (p > best) {
                    best = p;
                    bestRow = row;
                    bestCol = col;
                }
            }
        }
        double ox = clamp01(output[index(OFFSET_X, bestRow, bestCol)]);
        double oy = clamp01(output[index(OFFSET_Y, bestRow, bestCol)]);
        return new Prediction(best, (bestCol + ox) * cellWidth(), (bestRow + oy) * cellHeight());
    }

    private static double clamp01(double v) {
        return Math.max(0, Math.min(1, v));
    }
}
