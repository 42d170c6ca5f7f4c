package tipstream.augment;

import tipstream.dataset.TipTransform;

import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.filter2D;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Random;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Applies one augmentation to a grayscale frame with OpenCV, moving the tip with the pixels. A tip
 * pushed out of the frame becomes "no tip". Parameters are drawn from the caller's seeded random,
 * so a dataset version rebuilds byte for byte.
 */
public final class FrameAugmenter {
    public static final double MAX_ROTATION_DEGREES = 15;
    public static final int BRIGHTNESS_STEP = 35;

    public AugmentedFrame apply(Augmentation augmentation, BufferedImage frame, boolean visible, double tipX,
            double tipY, Random random) {
        return switch (augmentation) {
            case ROTATE -> transform(frame, visible, tipX, tipY, TipTransform.rotation(
                    (2 * random.nextDouble() - 1) * MAX_ROTATION_DEGREES, frame.getWidth() / 2.0, frame.getHeight() / 2.0));
            case FLIP -> transform(frame, visible, tipX, tipY, TipTransform.horizontalFlip(frame.getWidth()));
            case BLUR -> pixels(frame, visible, tipX, tipY, (src, dst) -> {
                double sigma = 0.8 + 1.2 * random.nextDouble();
                GaussianBlur(src, dst, new Size(0, 0), sigma);
            });
            case SHARPEN -> pixels(frame, visible, tipX, tipY, (src, dst) -> {
                Mat kernel = new Mat(3, 3, CV_64F);
                DoubleIndexer k = kernel.createIndexer();
                double[] values = {0, -1, 0, -1, 5, -1, 0, -1, 0};
                for (int i = 0; i < 9; i++) {
                    k.put(i / 3, i % 3, values[i]);
                }
                filter2D(src, dst, -1, kernel);
            });
            case SALT_AND_PEPPER -> perPixel(frame, visible, tipX, tipY, (value) -> {
                double r = random.nextDouble();
                return r < 0.005 ? 0 : r > 0.995 ? 255 : value;
            });
            case GAUSSIAN_NOISE -> perPixel(frame, visible, tipX, tipY,
                    (value) -> (int) Math.round(value + 8 * random.nextGaussian()));
            case BRIGHTER -> perPixel(frame, visible, tipX, tipY, (value) -> value + BRIGHTNESS_STEP);
            case DARKER -> perPixel(frame, visible, tipX, tipY, (value) -> value - BRIGHTNESS_STEP);
        };
    }

    /** Warps the frame by {@code map} (bilinear, black outside) and maps the tip with it. */
    public AugmentedFrame transform(BufferedImage frame, boolean visible, double tipX, double tipY, TipTransform map) {
        double[] m = map.toOpenCv();
        Mat matrix = new Mat(2, 3, CV_64F);
        DoubleIndexer idx = matrix.createIndexer();
        for (int i = 0; i < 6; i++) {
            idx.put(i / 3, i % 3, m[i]);
        }
        AugmentedFrame warped = pixels(frame, false, -1, -1, (src, dst) -> warpAffine(src, dst, matrix,
                new Size(frame.getWidth(), frame.getHeight()), INTER_LINEAR, BORDER_CONSTANT, new Scalar(0.0)));
        if (!visible) {
            return warped;
        }
        double x = map.x(tipX, tipY);
        double y = map.y(tipX, tipY);
        boolean inside = x >= 0 && y >= 0 && x <= frame.getWidth() && y <= frame.getHeight();
        return new AugmentedFrame(warped.image(), inside, inside ? x : -1, inside ? y : -1);
    }

    private interface MatOperation {
        void apply(Mat src, Mat dst);
    }

    private interface PixelOperation {
        int apply(int value);
    }

    private static AugmentedFrame pixels(BufferedImage frame, boolean visible, double tipX, double tipY,
            MatOperation operation) {
        int w = frame.getWidth();
        int h = frame.getHeight();
        try (Mat src = new Mat(h, w, CV_8UC1); Mat dst = new Mat()) {
            src.data().put(bytes(frame));
            operation.apply(src, dst);
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            dst.data().get(bytes(out));
            return new AugmentedFrame(out, visible, tipX, tipY);
        }
    }

    private static AugmentedFrame perPixel(BufferedImage frame, boolean visible, double tipX, double tipY,
            PixelOperation operation) {
        BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] in = bytes(frame);
        byte[] result = bytes(out);
        for (int i = 0; i < in.length; i++) {
            result[i] = (byte) Math.max(0, Math.min(255, operation.apply(in[i] & 0xff)));
        }
        return new AugmentedFrame(out, visible, tipX, tipY);
    }

    private static byte[] bytes(BufferedImage image) {
        if (image.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IllegalArgumentException("augmentation takes 8-bit grayscale frames");
        }
        return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    }
}
