package tipstream.model;

/**
 * The network's shape, as configuration: input size (the frame scaled down), the channel width of
 * each stride-2 stage, and the learning rate. Each stage halves the input (rounding up, "same"
 * padding), so the output grid has ceil(input / 2^stages) cells each way. The loss weighs the
 * in-cell offsets' squared error by {@code xyLossWeight} against the presence term's 5.
 */
public record TipNetConfig(int inputHeight, int inputWidth, int stemChannels, int[] stageChannels, double learningRate,
        long seed, double xyLossWeight) {

    /** The xy term's weight against presence's 5 in {@link TipLoss}. */
    public static final double XY_LOSS_WEIGHT = 1.0;

    /** Half resolution (203 x 264), five stride-2 stages: a 9 x 7 grid of ~59 x 58 px cells. */
    public static TipNetConfig standard() {
        return new TipNetConfig(203, 264, 16, new int[] {32, 32, 64, 64, 128}, 1e-3, 42, XY_LOSS_WEIGHT);
    }

    public int gridRows() {
        return shrink(inputHeight);
    }

    public int gridCols() {
        return shrink(inputWidth);
    }

    private int shrink(int size) {
        for (int i = 0; i < stageChannels.length; i++) {
            size = (size + 1) / 2;
        }
        return size;
    }

    /** The label grid over the original 528 x 406 frame. */
    public TipGrid grid(double frameWidth, double frameHeight) {
        return new TipGrid(frameWidth, frameHeight, gridCols(), gridRows());
    }
}
