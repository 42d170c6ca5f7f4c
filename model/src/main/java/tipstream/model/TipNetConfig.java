package tipstream.model;

/**
 * The network's shape, as configuration: input size (the frame scaled down), the channel width of
 * each stride-2 stage, and the learning rate. Each stage halves the input (rounding up, "same"
 * padding), so the output grid has ceil(input / 2^stages) cells each way.
 */
public record TipNetConfig(int inputHeight, int inputWidth, int stemChannels, int[] stageChannels, double learningRate,
        long seed) {

    /** Half resolution (203 x 264), five stride-2 stages: a 9 x 7 grid of ~59 x 58 px cells. */
    public static TipNetConfig standard() {
        return new TipNetConfig(203, 264, 16, new int[] {32, 32, 64, 64, 128}, 1e-3, 42);
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
