package tipstream.model;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tipstream.dataset.FrameResize;

/**
 * Turns grayscale frames into the network's input: NCHW float, one channel, scaled to 0..1, at the
 * configured input size (frames of another size are scaled with {@link FrameResize}).
 */
public final class FrameTensor {
    private FrameTensor() {
    }

    /** The frame's pixels at the input size (scaled by {@link FrameResize}), row-major, 0..1. */
    public static float[] pixels(BufferedImage frame, int height, int width) {
        if (frame.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IllegalArgumentException("frames must be 8-bit grayscale");
        }
        byte[] src = ((DataBufferByte) FrameResize.to(frame, width, height).getRaster().getDataBuffer()).getData();
        float[] out = new float[height * width];
        for (int i = 0; i < out.length; i++) {
            out[i] = (src[i] & 0xff) / 255f;
        }
        return out;
    }

    /** A batch [N, 1, height, width]. */
    public static INDArray batch(List<BufferedImage> frames, int height, int width) {
        float[] all = new float[frames.size() * height * width];
        for (int n = 0; n < frames.size(); n++) {
            System.arraycopy(pixels(frames.get(n), height, width), 0, all, n * height * width, height * width);
        }
        return array(all, frames.size(), 1, height, width);
    }

    /**
     * A float array of this shape holding {@code values} (row-major): one bulk copy, where ND4J M2.1's
     * {@code Nd4j.create(float[], shape, FLOAT)} writes the values one by one through an indexer (~0.43 M
     * floats a training batch of 32; BENCHMARKS.md, "Training from S3 shards").
     */
    public static INDArray array(float[] values, long... shape) {
        long size = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (values.length != size) { // the array is uninitialised: every value must come from here
            throw new IllegalArgumentException(values.length + " values for an array of shape " + Arrays.toString(shape));
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        out.data().asNioFloat().put(values);
        return out;
    }

    /**
     * The batch [N, 1, H, W] as a network of this shape takes it: when the shape is standardised,
     * each image shifted and scaled to zero mean and unit variance (so a frame's exposure and gain
     * do not matter, and the first layer sees centred inputs, which trains faster without batch
     * norm); behind a stride-4 stem, folded 2 x 2 into four channels ({@link TipNetConfig#inputFold()}:
     * channel {@code 2 dy + dx} holds the pixels at {@code (2 y + dy, 2 x + dx)}). A copy, or the
     * batch itself when neither applies.
     */
    public static INDArray input(INDArray batch, TipNetConfig config) {
        int fold = config.inputFold();
        if (!config.standardised() && fold == 1) {
            return batch;
        }
        // in plain Java over one copy: ND4J's mean, std, subtract and divide took ~1.2-1.6 ms for a batch of 16
        // first-stage frames, this ~0.5 ms (BENCHMARKS.md, "Training throughput")
        float[] pixels = new float[(int) batch.length()];
        INDArray source = batch.dataType() != DataType.FLOAT ? batch.castTo(DataType.FLOAT)
                : batch.isView() || batch.ordering() != 'c' ? batch.dup('c') : batch;
        source.data().asNioFloat().get(pixels);
        int n = (int) batch.size(0);
        if (config.standardised()) {
            standardise(pixels, n);
        }
        if (fold == 1) {
            return array(pixels, batch.shape());
        }
        int h = (int) batch.size(2);
        int w = (int) batch.size(3);
        int rows = (h + fold - 1) / fold;
        int cols = (w + fold - 1) / fold;
        float[] folded = new float[n * fold * fold * rows * cols];
        for (int image = 0; image < n; image++) {
            for (int y = 0; y < h; y++) {
                int from = (image * h + y) * w;
                for (int dx = 0; dx < fold; dx++) {
                    int to = ((image * fold * fold + (y % fold) * fold + dx) * rows + y / fold) * cols;
                    for (int x = dx; x < w; x += fold) {
                        folded[to++] = pixels[from + x];
                    }
                }
            }
        }
        return array(folded, new long[] {n, (long) fold * fold, rows, cols});
    }

    /** Each of the {@code n} images in {@code pixels} to zero mean and unit variance, in place. */
    private static void standardise(float[] pixels, int n) {
        int per = pixels.length / n;
        for (int image = 0; image < n; image++) {
            int from = image * per;
            double sum = 0;
            for (int i = from; i < from + per; i++) {
                sum += pixels[i];
            }
            float mean = (float) (sum / per);
            double squares = 0;
            for (int i = from; i < from + per; i++) {
                float d = pixels[i] - mean;
                squares += d * d;
            }
            float scale = (float) (1 / (Math.sqrt(squares / per) + STD_FLOOR));
            for (int i = from; i < from + per; i++) {
                pixels[i] = (pixels[i] - mean) * scale;
            }
        }
    }

    /** Added to an image's standard deviation (0..1 pixels) so that a flat image stays finite. */
    static final double STD_FLOOR = 1e-3;

    /** Labels [N, channels, rows, cols] from an encoding's targets. */
    public static INDArray labels(List<float[]> encoded, TipEncoding encoding) {
        int per = encoding.channels() * encoding.rows() * encoding.cols();
        float[] all = new float[encoded.size() * per];
        for (int n = 0; n < encoded.size(); n++) {
            System.arraycopy(encoded.get(n), 0, all, n * per, per);
        }
        return array(all, encoded.size(), encoding.channels(), encoding.rows(), encoding.cols());
    }
}
