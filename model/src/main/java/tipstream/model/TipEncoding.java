package tipstream.model;

/**
 * How a network's output map stands for a tip, both ways: the training target of a labelled frame
 * and the prediction decoded from the network's raw output (logits). Both are laid out
 * channel-major like the output, {@code [channel][row][col]} flattened; coordinates are
 * original-frame pixels, whatever size the network sees.
 */
public interface TipEncoding {
    /** The original frame's size, which the coordinates refer to. */
    double frameWidth();

    double frameHeight();

    int channels();

    int rows();

    int cols();

    /** The training target; a frame without a tip has {@code visible} false (x, y are ignored). */
    float[] encode(boolean visible, double x, double y);

    /** The prediction from one frame's raw network output. */
    TipPrediction decode(float[] logits);

    default int index(int channel, int row, int col) {
        return (channel * rows() + row) * cols() + col;
    }
}
