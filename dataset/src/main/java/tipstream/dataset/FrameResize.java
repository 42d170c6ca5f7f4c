package tipstream.dataset;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

/**
 * Scales a grayscale frame to a model's input size. Exact halving (528 x 406 to 264 x 203)
 * averages 2 x 2 blocks, so every output pixel is the mean of the four it covers; other sizes
 * use bilinear scaling.
 */
public final class FrameResize {
    private FrameResize() {
    }

    public static BufferedImage to(BufferedImage frame, int width, int height) {
        if (frame.getWidth() == width && frame.getHeight() == height) {
            return frame;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        if (frame.getType() == BufferedImage.TYPE_BYTE_GRAY && frame.getWidth() == 2 * width
                && frame.getHeight() == 2 * height) {
            byte[] src = ((DataBufferByte) frame.getRaster().getDataBuffer()).getData();
            byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
            int w = frame.getWidth();
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int i = 2 * y * w + 2 * x;
                    int sum = (src[i] & 0xff) + (src[i + 1] & 0xff) + (src[i + w] & 0xff) + (src[i + w + 1] & 0xff);
                    dst[y * width + x] = (byte) ((sum + 2) / 4);
                }
            }
            return out;
        }
        var g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(frame, 0, 0, width, height, null);
        g.dispose();
        return out;
    }
}
