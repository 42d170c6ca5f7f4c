package tipstream.model;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
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
        return Nd4j.create(all, new long[] {frames.size(), 1, height, width}, DataType.FLOAT);
    }

    /**
     * The batch as a network of this shape takes it: when the shape is standardised, a copy with
     * each image shifted and scaled to zero mean and unit variance (so a frame's exposure and gain
     * do not matter, and the first layer sees centred inputs, which trains faster without batch
     * norm); otherwise the batch itself.
     */
    public static INDArray input(INDArray batch, TipNetConfig config) {
        if (!config.standardised()) {
            return batch;
        }
        long n = batch.size(0);
        INDArray flat = batch.dup('c').reshape('c', n, batch.length() / n);
        INDArray mean = flat.mean(1).reshape(n, 1);
        INDArray std = flat.std(false, 1).addi(STD_FLOOR).reshape(n, 1);
        flat.subiColumnVector(mean).diviColumnVector(std);
        return flat.reshape('c', batch.shape());
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
        return Nd4j.create(all, new long[] {encoded.size(), encoding.channels(), encoding.rows(), encoding.cols()}, DataType.FLOAT);
    }
}
