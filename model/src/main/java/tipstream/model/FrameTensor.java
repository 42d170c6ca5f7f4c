package tipstream.model;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Turns grayscale frames into the network's input: NCHW float, one channel, scaled to 0..1, at the
 * configured input size. A frame already at that size is taken as is; halving (528 x 406 to 264 x 203) averages 2 x 2 blocks exactly; other
 * sizes use bilinear scaling.
 */
public final class FrameTensor {
    private FrameTensor() {
    }

    /** The frame's pixels at the input size, row-major, 0..1. */
    public static float[] pixels(BufferedImage frame, int height, int width) {
        if (frame.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IllegalArgumentException("frames must be 8-bit grayscale");
        }
        byte[] src = ((DataBufferByte) frame.getRaster().getDataBuffer()).getData();
        int w = frame.getWidth();
        float[] out = new float[height * width];
        if (frame.getWidth() == width && frame.getHeight() == height) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (src[i] & 0xff) / 255f;
            }
            return out;
        }
        if (frame.getWidth() == 2 * width && frame.getHeight() == 2 * height) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int i = 2 * y * w + 2 * x;
                    int sum = (src[i] & 0xff) + (src[i + 1] & 0xff) + (src[i + w] & 0xff) + (src[i + w + 1] & 0xff);
                    out[y * width + x] = sum / (4 * 255f);
                }
            }
            return out;
        }
        BufferedImage scaled = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        var g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(frame, 0, 0, width, height, null);
        g.dispose();
        byte[] s = ((DataBufferByte) scaled.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < out.length; i++) {
            out[i] = (s[i] & 0xff) / 255f;
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

    /** Labels [N, 3, rows, cols] from TipGrid encodings. */
    public static INDArray labels(List<float[]> encoded, TipGrid grid) {
        int per = TipGrid.CHANNELS * grid.rows() * grid.cols();
        float[] all = new float[encoded.size() * per];
        for (int n = 0; n < encoded.size(); n++) {
            System.arraycopy(encoded.get(n), 0, all, n * per, per);
        }
        return Nd4j.create(all, new long[] {encoded.size(), TipGrid.CHANNELS, grid.rows(), grid.cols()}, DataType.FLOAT);
    }
}
