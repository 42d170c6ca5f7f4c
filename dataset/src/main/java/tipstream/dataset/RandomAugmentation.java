package tipstream.dataset;

import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.filter2D;
import static org.bytedeco.opencv.global.opencv_imgproc.warpPerspective;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Random;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * A fresh random augmentation of a training sample each time it is drawn: a random view (shift,
 * scale, rotation, mirror, keystone perspective), then the camera's look (Gaussian or motion blur,
 * gamma, contrast, brightness, sensor noise). The tip moves with the pixels by the same map; a tip
 * pushed out of view becomes "no tip". Draws come from the caller's seeded random, so the same
 * seed gives the same sample. The image may be smaller than the frame the tip's coordinates refer
 * to (a dataset sample at the network's input size): the map is scaled accordingly.
 */
public final class RandomAugmentation {
    /**
     * How strong each part may be: shift as a share of the image size, scale and gamma/contrast as
     * the largest factor (drawn log-uniformly between 1/f and f), rotation in degrees, keystone as
     * the largest change of scale at the image's edge, blur sigma and motion length in image pixels,
     * brightness as a share of full scale, noise sigma in grey levels; chances in 0..1.
     */
    public record Settings(double maxShift, double maxScale, double maxRotationDegrees, double flipChance,
            double maxKeystone, double blurChance, double maxBlurSigma, double motionBlurChance, double maxMotionLength,
            double maxGamma, double maxContrast, double maxBrightness, double noiseChance, double maxNoiseSigma) {
        /** The same settings with another chance of a mirror image. */
        public Settings withFlipChance(double chance) {
            return new Settings(maxShift, maxScale, maxRotationDegrees, chance, maxKeystone, blurChance, maxBlurSigma,
                    motionBlurChance, maxMotionLength, maxGamma, maxContrast, maxBrightness, noiseChance, maxNoiseSigma);
        }
    }

    /**
     * The trainer's default: views and looks well beyond what one renderer or lab session shows,
     * but never a mirror image: the mock-up is one chiral object, and in a mirrored frame a decoy
     * antenna on the other side stands where the boom would be (measured in BENCHMARKS.md, "Model
     * quality": without mirroring eval was 0.353 / 0.352 / 0.378 at 2 / 4 / 6 minutes, with it
     * 0.307 / 0.342 / 0.330 in the same session).
     */
    public static Settings standard() {
        return new Settings(0.15, 1.25, 25, 0, 0.12, 0.3, 1.5, 0.2, 7, 1.6, 1.5, 0.15, 0.5, 8);
    }

    /** A sample after augmentation: the image, and the tip in the caller's frame coordinates. */
    public record Result(BufferedImage image, boolean visible, double tipX, double tipY) {
    }

    /**
     * Standard normal draws made once, enough for a full-size frame: a sample's sensor noise reads
     * them from a random start with a random odd stride (every index once per 2^18 pixels), a fresh
     * pattern each time and reproducible from the caller's random. One {@code nextGaussian} per pixel
     * was half of the augmentation's time (1.17 -> 0.64 ms a sample; BENCHMARKS.md, "Two ND4J processes").
     */
    private static final float[] GAUSSIAN = gaussians(1 << 18, 0x7469707374726561L);

    private final Settings settings;

    public RandomAugmentation(Settings settings) {
        this.settings = settings;
    }

    /**
     * Augments one 8-bit grayscale image whose tip (if visible) is at (tipX, tipY) in a frame of
     * {@code frameWidth x frameHeight}.
     */
    public Result apply(BufferedImage image, boolean visible, double tipX, double tipY, double frameWidth,
            double frameHeight, Random random) {
        if (image.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IllegalArgumentException("augmentation takes 8-bit grayscale images");
        }
        int w = image.getWidth();
        int h = image.getHeight();
        TipTransform view = randomView(w, h, random);
        double sx = w / frameWidth;
        double sy = h / frameHeight;
        boolean inView = false;
        double x = -1;
        double y = -1;
        if (visible) {
            double ix = view.x(tipX * sx, tipY * sy);
            double iy = view.y(tipX * sx, tipY * sy);
            inView = ix >= 0 && iy >= 0 && ix <= w && iy <= h;
            x = inView ? ix / sx : -1;
            y = inView ? iy / sy : -1;
        }
        byte[] pixels = new byte[w * h];
        try (Mat src = new Mat(h, w, CV_8UC1); Mat warped = new Mat(); Mat matrix = homography(view)) {
            src.data().put(bytes(image));
            warpPerspective(src, warped, matrix, new Size(w, h), INTER_LINEAR, BORDER_REPLICATE, new Scalar(0.0));
            blur(warped, random);
            warped.data().get(pixels);
        }
        look(pixels, random);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(pixels, 0, bytes(out), 0, pixels.length);
        return new Result(out, inView, x, y);
    }

    /** The random view, in image pixels, about the image centre. */
    TipTransform randomView(int w, int h, Random random) {
        double cx = w / 2.0;
        double cy = h / 2.0;
        TipTransform view = random.nextDouble() < settings.flipChance() ? TipTransform.horizontalFlip(w)
                : TipTransform.IDENTITY;
        view = view.then(TipTransform.perspective(symmetric(random, settings.maxKeystone()) / cx,
                symmetric(random, settings.maxKeystone()) / cy, cx, cy));
        view = view.then(TipTransform.rotation(symmetric(random, settings.maxRotationDegrees()), cx, cy));
        view = view.then(TipTransform.scale(logUniform(random, settings.maxScale()), cx, cy));
        return view.then(TipTransform.translation(symmetric(random, settings.maxShift()) * w,
                symmetric(random, settings.maxShift()) * h));
    }

    private void blur(Mat image, Random random) {
        double draw = random.nextDouble();
        if (draw < settings.blurChance()) {
            GaussianBlur(image, image, new Size(0, 0), 0.3 + (settings.maxBlurSigma() - 0.3) * random.nextDouble());
        } else if (draw < settings.blurChance() + settings.motionBlurChance()) {
            int length = 2 + (int) Math.round((settings.maxMotionLength() - 2) * random.nextDouble());
            try (Mat kernel = motionKernel(length, Math.PI * random.nextDouble())) {
                filter2D(image, image, -1, kernel, new Point(-1, -1), 0, BORDER_REPLICATE);
            }
        }
    }

    /** A line of {@code length} pixels at {@code angle}, normalised: the camera moved during exposure. */
    static Mat motionKernel(int length, double angle) {
        int size = length % 2 == 1 ? length : length + 1;
        Mat kernel = new Mat(size, size, CV_32F, new Scalar(0.0));
        FloatIndexer k = kernel.createIndexer();
        double c = (size - 1) / 2.0;
        int samples = 4 * size;
        for (int i = 0; i < samples; i++) {
            double t = (i / (samples - 1.0) - 0.5) * (length - 1);
            int col = (int) Math.round(c + t * Math.cos(angle));
            int row = (int) Math.round(c + t * Math.sin(angle));
            k.put(row, col, k.get(row, col) + 1f / samples);
        }
        k.release();
        return kernel;
    }

    /** Gamma, contrast and brightness as one lookup table, then Gaussian sensor noise. */
    private void look(byte[] pixels, Random random) {
        double gamma = logUniform(random, settings.maxGamma());
        double contrast = logUniform(random, settings.maxContrast());
        double brightness = symmetric(random, settings.maxBrightness());
        int[] table = new int[256];
        for (int v = 0; v < 256; v++) {
            double g = Math.pow(v / 255.0, gamma);
            table[v] = (int) Math.round(255 * ((g - 0.5) * contrast + 0.5 + brightness));
        }
        double sigma = random.nextDouble() < settings.noiseChance() ? settings.maxNoiseSigma() * random.nextDouble() : 0;
        int mask = GAUSSIAN.length - 1;
        // drawn only for a noisy sample, so that the random stream (and every later draw) is as measured
        int at = sigma > 0 ? random.nextInt() : 0;
        int stride = sigma > 0 ? random.nextInt() | 1 : 1;
        for (int i = 0; i < pixels.length; i++, at += stride) {
            double v = table[pixels[i] & 0xff] + (sigma > 0 ? sigma * GAUSSIAN[at & mask] : 0);
            pixels[i] = (byte) Math.max(0, Math.min(255, Math.round(v)));
        }
    }

    private static float[] gaussians(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static Mat homography(TipTransform map) {
        double[] m = map.toOpenCvHomography();
        Mat matrix = new Mat(3, 3, CV_64F);
        DoubleIndexer idx = matrix.createIndexer();
        for (int i = 0; i < 9; i++) {
            idx.put(i / 3, i % 3, m[i]);
        }
        idx.release();
        return matrix;
    }

    private static double symmetric(Random random, double max) {
        return (2 * random.nextDouble() - 1) * max;
    }

    private static double logUniform(Random random, double maxFactor) {
        return Math.exp(symmetric(random, Math.log(maxFactor)));
    }

    private static byte[] bytes(BufferedImage image) {
        return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    }
}
