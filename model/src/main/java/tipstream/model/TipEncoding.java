package tipstream.model;

import java.util.List;

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

    /**
     * Up to {@code count} places the output puts the tip, most likely first, each decoded as {@link
     * #decode} decodes the most likely, with its share of the network's belief; by default the most
     * likely alone.
     */
    default List<Candidate> candidates(float[] logits, int count) {
        return List.of(new Candidate(decode(logits), 1));
    }

    /** A place the tip may be (its presence: is the tip there), and the share of belief (0..1) the output gives it. */
    record Candidate(TipPrediction tip, double share) {
    }

    default int index(int channel, int row, int col) {
        return (channel * rows() + row) * cols() + col;
    }
}
