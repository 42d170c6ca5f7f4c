package tipstream.model;

import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC1;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.nd4j.linalg.api.ndarray.INDArray;
import tipstream.dataset.TipTransform;

/**
 * Test-time views: each frame located as it is and turned about its centre by 8 and 16 degrees each way
 * (training turns frames by up to 25), each view's place turned back; the frame's answer is the place the
 * views' presence most supports ({@link #combine}), with the views' mean presence. A turned frame is a
 * different enough look at the same object that one view's confident wrong place (a knob taken for the tip)
 * is outvoted more often than among views moved by half a cell, which mostly agree on it. Measured on eight
 * main-job checkpoints (BENCHMARKS.md, "Model quality", stop 49), each at its own validation-calibrated
 * threshold, against five views moved by half a cell: eval overall_mean 0.942 against 0.933 on average (up on
 * six), dist_mean 3.57 against 4.22 px, validation overall_mean 0.949 against 0.948. Five views: five times
 * the first stage's inference; the refiner crops the frames as they are.
 */
public final class TestTimeViews {
    /**
     * The views' turns in degrees, counter-clockwise on screen; the first is the frame as it is. Three views are
     * the first three (on the same eight checkpoints: eval 0.940, 3.44 px; validation 0.944). Turns only: views that
     * also shrink the frame ({@link View#scale}) placed the main job's eval tips closer but not the learning curve's,
     * and frame by frame found about as many tips as they lost (BENCHMARKS.md, "Model quality", stop 54).
     */
    private static final double[] TURNS = {0, 16, -16, 8, -8};
    /** The most views there are. */
    public static final int MAX = TURNS.length;

    private TestTimeViews() {
    }

    /**
     * Each frame's tip in {@code encoding}'s frame pixels from {@code views} views (1: the frame as
     * it is, exactly {@link TipNet#locate(List, TipEncoding)}; up to {@link #MAX}).
     */
    public static List<TipPrediction> locate(TipNet net, List<BufferedImage> frames, TipEncoding encoding, int views) {
        return combined(answers(net, frames, encoding, checked(views)));
    }

    /** {@code views} when it is a number of views there are (1 to {@link #MAX}); otherwise fails with the range. */
    public static int checked(int views) {
        if (views < 1 || views > MAX) {
            throw new IllegalArgumentException("views must be 1 to " + MAX + ", not " + views);
        }
        return views;
    }

    /** Each view's answers, [view][frame], in {@code encoding}'s frame pixels (each view's place turned back). */
    public static List<List<TipPrediction>> answers(TipNet net, List<BufferedImage> frames, TipEncoding encoding,
            int views) {
        INDArray input = FrameTensor.batch(frames, net.config().inputHeight(), net.config().inputWidth());
        return answers(net, frames, encoding, input, net.output(input), views);
    }

    /**
     * {@link #answers(TipNet, List, TipEncoding, int)} from the frames' input ({@link FrameTensor#batch})
     * and the network's output on it, the first view, already made (eval scores its loss on it). The
     * other views turn that input, so each frame is scaled to the input size once; the refiner still crops
     * the frames as they are.
     */
    public static List<List<TipPrediction>> answers(TipNet net, List<BufferedImage> frames, TipEncoding encoding,
            INDArray input, INDArray output, int views) {
        return answers(net, frames, encoding, input, output, first(views));
    }

    /**
     * {@link #answers(TipNet, List, TipEncoding, INDArray, INDArray, int)} for any views ({@code output} is the
     * frame as it is, used where a view is).
     */
    public static List<List<TipPrediction>> answers(TipNet net, List<BufferedImage> frames, TipEncoding encoding,
            INDArray input, INDArray output, List<View> views) {
        List<List<TipPrediction>> answers = new ArrayList<>();
        for (View view : views) {
            INDArray seen = view.asIs() ? output : net.output(view.of(input));
            answers.add(net.locateViewed(frames, seen, encoding, view.back(input, encoding)));
        }
        return answers;
    }

    /** The first {@code views} views (1 to {@link #MAX}), the frame as it is first. */
    public static List<View> first(int views) {
        return Arrays.stream(TURNS, 0, checked(views)).mapToObj(View::new).toList();
    }

    /** Views written {@code TURN:SCALE,TURN:SCALE,...} (degrees counter-clockwise, scale about the centre). */
    public static List<View> parse(String text) {
        List<View> views = new ArrayList<>();
        for (String view : text.split(",")) {
            String[] parts = view.trim().split(":");
            if (parts.length != 2) {
                throw new IllegalArgumentException("a view is TURN:SCALE, not '" + view + "'");
            }
            double turn = Double.parseDouble(parts[0]);
            double scale = Double.parseDouble(parts[1]);
            if (!Double.isFinite(turn) || !(scale > 0) || !Double.isFinite(scale)) {
                throw new IllegalArgumentException("a view's turn is a number and its scale a positive one, not '"
                        + view + "'");
            }
            views.add(new View(turn, scale));
        }
        return List.copyOf(views);
    }

    /**
     * One view: the frame turned by {@code turn} degrees about its centre, counter-clockwise on screen, and
     * scaled about it by {@code scale} (below 1 the object shrinks and the edge is repeated around it).
     */
    public record View(double turn, double scale) {
        /** A view turned and not scaled. */
        public View(double turn) {
            this(turn, 1);
        }

        /** A batch of the network's input [N, 1, H, W] as this view sees it ({@link #warped}). */
        public INDArray of(INDArray input) {
            return asIs() ? input : warped(input, map((int) input.size(3), (int) input.size(2)));
        }

        /**
         * The map from this view's frame pixels back to the frame's, for a network whose input is {@code input}'s
         * size: the view is made about the input's centre in its own pixels, which the frame's scale unevenly.
         */
        public TipTransform back(INDArray input, TipEncoding encoding) {
            if (asIs()) {
                return TipTransform.IDENTITY;
            }
            int width = (int) input.size(3);
            int height = (int) input.size(2);
            TipTransform toFrame = TipTransform.affine(encoding.frameWidth() / width, 0, 0, 0,
                    encoding.frameHeight() / height, 0);
            TipTransform fromFrame = TipTransform.affine(width / encoding.frameWidth(), 0, 0, 0,
                    height / encoding.frameHeight(), 0);
            TipTransform undo = TipTransform.scale(1 / scale, width / 2.0, height / 2.0)
                    .then(TipTransform.rotation(-turn, width / 2.0, height / 2.0));
            return fromFrame.then(undo).then(toFrame);
        }

        /** Whether this view is the frame as it is. */
        public boolean asIs() {
            return turn == 0 && scale == 1;
        }

        /** This view in the input's pixels of a {@code width x height} input: turned, then scaled, about its centre. */
        TipTransform map(int width, int height) {
            return TipTransform.rotation(turn, width / 2.0, height / 2.0)
                    .then(TipTransform.scale(scale, width / 2.0, height / 2.0));
        }
    }

    /** Each frame's views ([view][frame]) as one answer per frame ({@link #combine(List)}). */
    public static List<TipPrediction> combined(List<List<TipPrediction>> answers) {
        List<TipPrediction> combined = new ArrayList<>(answers.get(0).size());
        for (int i = 0; i < answers.get(0).size(); i++) {
            int frame = i;
            combined.add(combine(answers.stream().map(answer -> answer.get(frame)).toList()));
        }
        return combined;
    }

    /**
     * One frame's views as one answer, with their mean presence: a vote, each view's place weighted by its
     * presence (is the tip where this view says), among the views placed within the seed's 10 px of it; then, of
     * the winning place's views, the one nearest their median place. Where all views agree that is the view
     * nearest the median; where they split, the place with more presence behind it wins, not the
     * place more views chose. Measured on eight checkpoints of three main jobs (BENCHMARKS.md, "Model
     * quality", stop 48), against the view nearest the median of all views: eval overall_mean up on seven (+0.001
     * to +0.006) and level on one, dist_mean down by 0.07 px on average, validation overall_mean never lower.
     */
    public static TipPrediction combine(List<TipPrediction> views) {
        List<TipPrediction> winners = List.of();
        double mostSupport = Double.NEGATIVE_INFINITY;
        for (TipPrediction view : views) {
            List<TipPrediction> near = views.stream().filter(o -> Math.hypot(o.x() - view.x(), o.y() - view.y())
                    <= TipMetrics.POINT_TOLERANCE_PX).toList();
            double support = near.stream().mapToDouble(TipPrediction::presence).sum();
            if (support > mostSupport) {
                mostSupport = support;
                winners = near;
            }
        }
        double mx = median(winners.stream().mapToDouble(TipPrediction::x).toArray());
        double my = median(winners.stream().mapToDouble(TipPrediction::y).toArray());
        TipPrediction nearest = winners.stream().min(Comparator.comparingDouble(p -> Math.hypot(p.x() - mx,
                p.y() - my))).orElseThrow();
        double presence = views.stream().mapToDouble(TipPrediction::presence).average().orElseThrow();
        return new TipPrediction(presence, nearest.x(), nearest.y());
    }

    /**
     * A batch [N, 1, H, W], each image moved by {@code view} (an affine map in its pixels), bilinear, the edge
     * repeated into the corners as the augmentation does.
     */
    static INDArray warped(INDArray batch, TipTransform view) {
        long[] shape = batch.shape();
        int w = (int) shape[3];
        int h = (int) shape[2];
        int plane = w * h;
        float[] in = batch.dup('c').data().asFloat();
        float[] out = new float[in.length];
        double[] map = view.toOpenCv();
        try (Mat matrix = new Mat(2, 3, CV_64F); Mat src = new Mat(h, w, CV_32FC1); Mat dst = new Mat(h, w, CV_32FC1);
                Scalar border = new Scalar(0.0); Size size = new Size(w, h)) {
            DoubleIndexer m = matrix.createIndexer();
            for (int i = 0; i < 6; i++) {
                m.put(i / 3, i % 3, map[i]);
            }
            m.release();
            FloatPointer srcData = new FloatPointer(src.data());
            FloatPointer dstData = new FloatPointer(dst.data());
            for (int p = 0; p < in.length / plane; p++) {
                srcData.put(in, p * plane, plane);
                warpAffine(src, dst, matrix, size, INTER_LINEAR, BORDER_REPLICATE, border);
                dstData.get(out, p * plane, plane);
            }
        }
        return FrameTensor.array(out, shape);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
