package tipstream.dataset;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Scales a grayscale frame to a model's input size. Shrinking averages areas: every output pixel
 * is the mean of the frame pixels it covers (those cut by its edge in part), so a one-pixel rod or
 * a small knob keeps its share of brightness wherever it falls. Java2D's bilinear scaling reads
 * only about 2 of every {@code k} columns when shrinking {@code k} times: at a quarter, a thin
 * boom vanishes or not depending on where it falls, which no other camera or renderer would
 * repeat. Growing uses bilinear scaling.
 */
public final class FrameResize {
    private FrameResize() {
    }

    public static BufferedImage to(BufferedImage frame, int width, int height) {
        if (frame.getWidth() == width && frame.getHeight() == height) {
            return frame;
        }
        if (width <= frame.getWidth() && height <= frame.getHeight()) {
            return areaMean(gray(frame), width, height);
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        var g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(frame, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    private static BufferedImage gray(BufferedImage frame) {
        if (frame.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            return frame;
        }
        BufferedImage gray = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        var g = gray.createGraphics();
        g.drawImage(frame, 0, 0, null);
        g.dispose();
        return gray;
    }

    /** Separable: each row's columns averaged into {@code width} values, then each column's rows into {@code height}. */
    private static BufferedImage areaMean(BufferedImage frame, int width, int height) {
        Raster raster = frame.getRaster();
        int sourceWidth = frame.getWidth();
        int sourceHeight = frame.getHeight();
        Footprints columns = Footprints.of(sourceWidth, width);
        Footprints rows = Footprints.of(sourceHeight, height);
        float[][] narrowed = new float[sourceHeight][width];
        byte[] row = new byte[sourceWidth];
        for (int y = 0; y < sourceHeight; y++) {
            raster.getDataElements(0, y, sourceWidth, 1, row);
            float[] target = narrowed[y];
            for (int x = 0; x < width; x++) {
                float sum = 0;
                float[] weights = columns.weights[x];
                int first = columns.first[x];
                for (int k = 0; k < weights.length; k++) {
                    sum += weights[k] * (row[first + k] & 0xff);
                }
                target[x] = sum;
            }
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] line = new byte[width];
        float[] sums = new float[width];
        for (int y = 0; y < height; y++) {
            java.util.Arrays.fill(sums, 0);
            float[] weights = rows.weights[y];
            int first = rows.first[y];
            for (int k = 0; k < weights.length; k++) {
                float w = weights[k];
                float[] source = narrowed[first + k];
                for (int x = 0; x < width; x++) {
                    sums[x] += w * source[x];
                }
            }
            for (int x = 0; x < width; x++) {
                line[x] = (byte) Math.min(255, (int) (sums[x] + 0.5f));
            }
            out.getRaster().setDataElements(0, y, width, 1, line);
        }
        return out;
    }

    /** For each output pixel along one axis: the first source pixel it covers and the share each covered one gets. */
    private record Footprints(int[] first, float[][] weights) {
        static Footprints of(int sourceSize, int size) {
            double scale = (double) sourceSize / size;
            int[] first = new int[size];
            float[][] weights = new float[size][];
            for (int i = 0; i < size; i++) {
                double from = i * scale;
                double to = Math.min(sourceSize, (i + 1) * scale);
                int start = (int) Math.floor(from);
                int end = Math.min(sourceSize, (int) Math.ceil(to - 1e-9));
                first[i] = start;
                weights[i] = new float[end - start];
                for (int j = start; j < end; j++) {
                    double overlap = Math.min(to, j + 1) - Math.max(from, j);
                    weights[i][j - start] = (float) (overlap / scale);
                }
            }
            return new Footprints(first, weights);
        }
    }
}
