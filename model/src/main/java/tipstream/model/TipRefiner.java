package tipstream.model;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import tipstream.dataset.FrameResize;
import tipstream.dataset.RandomAugmentation;

/**
 * The second stage (coarse to fine, as the winner of the 2019 satellite pose challenge): a small
 * heatmap network that sees the {@code crop x crop} frame pixels, at the frame's full resolution,
 * around where the first stage placed the tip, and places it again. The first stage sees the frame
 * at a quarter size on ~32 px cells (half size and 16 px cells when this was measured on the main job's
 * eval frames: its median miss of 3.3 px became 1.0 px on the crop; BENCHMARKS.md, "Model quality"). The frame's presence is both stages'
 * ({@link #choose}).
 * <p>
 * It trains on crops centred up to {@link #JITTER_PX} from the true tip (as far as the first stage
 * misses a tip it finds), each with its own random augmentation; a frame without a tip gives a
 * crop anywhere, which teaches its presence output "no tip". A share of the crops of frames with a
 * tip are near misses ({@link #NEAR_MISS_SHARE}): centred on the object a little way from the tip,
 * where the first stage's wrong guesses fall (other parts of the object, not background); the tip
 * is then off the crop's centre or out of it. So the refiner's presence says whether the tip is
 * on a crop, and of the first stage's few strongest places ({@link #choose}) the one whose crop
 * holds the tip wins: measured on the main job's eval frames, 20 of 376 first-stage picks were more
 * than 20 px off, and for 11 of them the second or third strongest place was the tip.
 */
public final class TipRefiner {
    /**
     * The crop the heatmap preset refines on: 80 x 80 frame pixels, five of the first stage's cells.
     * Measured on the main job's eval frames (CandidateProbe, refiners trained alone against one
     * first stage, 2,400 steps each): crops of 64 / 80 / 96 / 128 px gave dist_mean 4.52 / 3.55 /
     * 3.51 / 3.56 px and overall_mean 0.926 / 0.941 / 0.935 / 0.941 for 1 / 1.3 / 1.6 / 3.1 times the
     * training time; a wider crop holds more of the first stage's near misses (30-60 px off) and
     * more of what tells a tip from a knob or a glint. A 128 px crop on a stride-2 stem (its cost at
     * 64) placed tips worse (median 1.7 px against 1.0).
     */
    public static final int DEFAULT_CROP = 80;
    /**
     * A training batch gives the refiner one crop for every this many of its frames (4 crops in a
     * batch of 16). With the first stage at a quarter size the refiner's crops were ~40 % of a step's
     * compute at 8 crops; at 4 the main job took 18 % more steps in the same minutes and scored as
     * well or better (BENCHMARKS.md, "The main job"). Refiners trained alone at 80 px (CandidateProbe,
     * 2,400 steps): 16 crops a step gave dist_mean 3.55 px, overall_mean 0.941 and 8 crops 3.84 px,
     * 0.928, within a run's noise.
     */
    public static final int FRAMES_PER_CROP = 4;
    /** How far from the tip a training crop is centred, each way: the first stage's misses, mostly. */
    public static final double JITTER_PX = 20;
    /** Share of a tip frame's training crops that are near misses; they are centred this far from the tip, in crops. */
    public static final double NEAR_MISS_SHARE = 0.3;
    /**
     * Share of the crops away from the tip (near misses, crops of frames without a tip) centred on a
     * place the first stage confuses with the tip, when the trainer has found those places
     * ({@link #confusers}): hard negatives, as two-stage detectors train their second stage on the
     * first one's proposals. Refiners trained alone against one first stage (CandidateProbe
     * {@code --train-refiner 2400 80}, two seeds): choosing among the first stage's places missed the
     * tip by 8.49 / 8.45 px on average against 9.57 / 9.54 without, overall_mean 0.894 / 0.908
     * against 0.890 / 0.890; every such crop (share 1) gave 8.67 px and 0.887 (BENCHMARKS.md).
     */
    public static final double CONFUSER_SHARE = 0.5;
    private static final double NEAR_MISS_MIN_CROPS = 0.5;
    private static final double NEAR_MISS_MAX_CROPS = 3;
    /** How many of the first stage's places the refiner looks at. */
    public static final int CANDIDATES = 3;
    /**
     * Where the tip lies on a crop before the refiner looks: its training crops hold the tip up to {@link
     * #JITTER_PX} from their centre each way, uniformly, so a Gaussian of that spread (the standard
     * deviation of the uniform offset) around the crop's centre.
     */
    public static final double PRIOR_SIGMA_PX = JITTER_PX / Math.sqrt(3);

    private TipRefiner() {
    }

    /**
     * The refining network's shape: a stride-1 stem and two stride-2 stages on the crop (a 16 x 16 map of 4 px
     * cells for a 64 px crop, 20 x 20 for 80), two context convolutions 32 wide, the heatmap head; the first
     * stage's learning rate, loss weights and standardisation. The context was 64 wide, two thirds of the
     * refiner's multiply-adds: at 32 it trains 400 crops/s against 303-324 (batch 8; the trainer's whole step,
     * loader included, did not measurably change), and refiners trained alone against one first stage placed and
     * chose as well or better (CandidateProbe, two seeds: overall_mean 0.920 / 0.919 against 0.911 / 0.905,
     * dist_mean 4.44 / 4.62 against 4.90 / 5.15 px); one context convolution, or 16 wide, placed worse (median
     * 1.26-1.43 px against 1.06-1.11; BENCHMARKS.md, "The main job").
     */
    public static TipNetConfig shape(TipNetConfig coarse) {
        int crop = coarse.refineCrop();
        return new TipNetConfig(TipNetConfig.Head.HEATMAP, crop, crop, 16, List.of(32, 64), List.of(), 32, List.of(1, 1),
                coarse.learningRate(), coarse.seed() + 1, coarse.presenceWeight(), coarse.positionWeight(), 1, false, 0, 0,
                coarse.standardised(), coarse.weightDecay());
    }

    /**
     * The places of a training frame that the first stage finds tip-like but are not the tip (its
     * strongest {@code places}, less those a crop around the tip would hold): the crops the refiner
     * most needs to learn to say "no tip" to (decoys, glints, other parts of the object).
     */
    public static List<TipPrediction> confusers(List<TipEncoding.Candidate> places, boolean visible, double tipX,
            double tipY, int crop) {
        return places.stream().map(TipEncoding.Candidate::tip)
                .filter(p -> !visible || Math.hypot(p.x() - tipX, p.y() - tipY) > crop / 2.0).toList();
    }

    /** A training crop: the image the refiner sees, and the tip in its pixels (if it is in view). */
    public record Drawn(BufferedImage image, boolean visible, double x, double y) {
    }

    /**
     * A training crop of {@code frame} (any size; scaled to the frame's {@code frameWidth x
     * frameHeight} pixels, which the tip's coordinates are in): centred within {@link #JITTER_PX} of
     * the tip, or a near miss ({@link #NEAR_MISS_SHARE} of them), or anywhere when there is no tip,
     * and augmented when asked (a larger window is augmented, then its centre cut, so rotation
     * leaves no empty corners).
     */
    public static Drawn draw(BufferedImage frame, boolean visible, double tipX, double tipY, int frameWidth,
            int frameHeight, int crop, Optional<RandomAugmentation> augmentation, Random random) {
        return draw(frame, visible, tipX, tipY, frameWidth, frameHeight, crop, List.of(), augmentation, random);
    }

    /**
     * A training crop as {@link #draw(BufferedImage, boolean, double, double, int, int, int, Optional, Random)},
     * where {@code confusers} (frame pixels) are places of this frame away from its tip that the
     * first stage finds tip-like: a share of the crops that would be near misses, or anywhere in a
     * frame without a tip ({@link #CONFUSER_SHARE}), is centred within {@link #JITTER_PX} of one of them.
     */
    public static Drawn draw(BufferedImage frame, boolean visible, double tipX, double tipY, int frameWidth,
            int frameHeight, int crop, List<TipPrediction> confusers, Optional<RandomAugmentation> augmentation,
            Random random) {
        BufferedImage full = FrameResize.to(frame, frameWidth, frameHeight);
        double cx;
        double cy;
        boolean away = !visible || random.nextDouble() < NEAR_MISS_SHARE;
        if (away && !confusers.isEmpty() && random.nextDouble() < CONFUSER_SHARE) {
            TipPrediction c = confusers.get(random.nextInt(confusers.size()));
            cx = c.x() + (2 * random.nextDouble() - 1) * JITTER_PX;
            cy = c.y() + (2 * random.nextDouble() - 1) * JITTER_PX;
        } else if (!visible) {
            cx = random.nextDouble() * frameWidth;
            cy = random.nextDouble() * frameHeight;
        } else if (away) {
            double angle = random.nextDouble() * 2 * Math.PI;
            double distance = crop * (NEAR_MISS_MIN_CROPS + random.nextDouble() * (NEAR_MISS_MAX_CROPS - NEAR_MISS_MIN_CROPS));
            cx = Math.max(0, Math.min(frameWidth, tipX + distance * Math.cos(angle)));
            cy = Math.max(0, Math.min(frameHeight, tipY + distance * Math.sin(angle)));
        } else {
            cx = tipX + (2 * random.nextDouble() - 1) * JITTER_PX;
            cy = tipY + (2 * random.nextDouble() - 1) * JITTER_PX;
        }
        int window = augmentation.isPresent() ? crop * 3 / 2 : crop;
        int ox = (int) Math.round(cx) - window / 2;
        int oy = (int) Math.round(cy) - window / 2;
        BufferedImage image = cut(full, ox, oy, window);
        boolean inView = visible;
        double x = tipX - ox;
        double y = tipY - oy;
        if (augmentation.isPresent()) {
            var drawn = augmentation.get().apply(image, visible, x, y, window, window, random);
            int inner = (window - crop) / 2;
            image = cut(drawn.image(), inner, inner, crop);
            inView = drawn.visible();
            x = drawn.tipX() - inner;
            y = drawn.tipY() - inner;
        }
        inView = inView && x >= 0 && y >= 0 && x <= crop && y <= crop;
        return new Drawn(image, inView, inView ? x : -1, inView ? y : -1);
    }

    /**
     * Each frame's tip placed again by {@code refiner} on the crop around its first-stage
     * prediction; presence is the first stage's. Frames are scaled to the frame size the
     * predictions' coordinates are in.
     */
    public static List<TipPrediction> refine(TipNet refiner, List<BufferedImage> frames, List<TipPrediction> coarse,
            int frameWidth, int frameHeight) {
        List<TipPrediction> placed = place(placer(refiner), frames, coarse, frameWidth, frameHeight);
        List<TipPrediction> refined = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            refined.add(new TipPrediction(coarse.get(i).presence(), placed.get(i).x(), placed.get(i).y()));
        }
        return refined;
    }

    /**
     * Each frame's tip: of the first stage's places ({@code candidates}, its strongest first), the
     * one the refiner most believes, its share of the first stage's belief times the refiner's
     * presence on its crop, placed again by the refiner. Its presence (is the tip where we say it
     * is) is that of both stages: the geometric mean of the first stage's presence at that place and
     * the refiner's on its crop. Measured on the main job's checkpoint (CandidateProbe, thresholds
     * calibrated on validation): the first stage's presence alone gave overall_mean 0.921, dist_mean
     * 3.54 px, prob_mean 0.953; both stages' 0.937, 3.18 px, 0.959 (fewer false alarms, and fewer
     * tips claimed in the wrong place); the refiner's alone 0.887.
     */
    public static List<TipPrediction> choose(TipNet refiner, List<BufferedImage> frames,
            List<List<TipEncoding.Candidate>> candidates, int frameWidth, int frameHeight) {
        return choose(placer(refiner), frames, candidates, frameWidth, frameHeight);
    }

    /**
     * What places the tip on a batch of crops: their tip (and presence) in crop pixels, for an input
     * of [N, 1, crop, crop]. A refining network in this process, or the same network elsewhere (the
     * PyTorch peer of the learning-curve benchmark).
     */
    public interface CropPlacer {
        /** The refining network's shape: its crop (input) size, and whether it standardises crops. */
        TipNetConfig shape();

        List<TipPrediction> place(INDArray crops);
    }

    /** The crop placer of a refining network. */
    public static CropPlacer placer(TipNet refiner) {
        int crop = refiner.config().inputWidth();
        TipEncoding encoding = refiner.encoding(crop, crop);
        return new CropPlacer() {
            @Override
            public TipNetConfig shape() {
                return refiner.config();
            }

            @Override
            public List<TipPrediction> place(INDArray crops) {
                INDArray output = refiner.output(crops);
                List<TipPrediction> placed = new ArrayList<>((int) crops.size(0));
                for (int i = 0; i < crops.size(0); i++) {
                    placed.add(placeOnCrop(encoding, TipNet.frameOutput(output, i)));
                }
                return placed;
            }
        };
    }

    /**
     * The tip on one crop from the refiner's raw output: its heat read with {@link #PRIOR_SIGMA_PX}'s
     * Gaussian around the crop's centre, where the first stage put the tip. Without it the refiner's
     * strongest cell anywhere on the crop won, and on end-on tips over the body that was often another
     * part of the body 30-40 px from a first-stage place that was right. On six checkpoints of four
     * main jobs (ThresholdProbe, as eval scores them) validation's overall_mean rose on every one, by
     * 0.014-0.022, eval's by -0.004 to +0.007; on the learning curve's captures of another seed and look
     * (one run scored both ways) eval's rose by 0.007-0.017 at 5-30 minutes (BENCHMARKS.md, "Model quality").
     */
    public static TipPrediction placeOnCrop(TipEncoding cropEncoding, float[] logits) {
        if (!(cropEncoding instanceof TipHeatmap map)) {
            throw new IllegalArgumentException("a refiner places the tip on a heatmap, not " + cropEncoding);
        }
        return map.decodeNear(logits, map.frameWidth() / 2, map.frameHeight() / 2, PRIOR_SIGMA_PX);
    }

    /**
     * {@link #choose(TipNet, List, List, int, int)} with any crop placer. The refiner sees each
     * frame's strongest place first, then only the places that could still win: a place whose share
     * is at most the strongest one's score cannot beat it (the refiner's presence is at most 1), and
     * the first stage's other places mostly hold a share near 0. The same choice for about a third
     * of the refiner's work (eval and predict look at three places in each of five views).
     */
    public static List<TipPrediction> choose(CropPlacer refiner, List<BufferedImage> frames,
            List<List<TipEncoding.Candidate>> candidates, int frameWidth, int frameHeight) {
        List<TipPrediction> strongest = place(refiner, frames, candidates.stream().map(c -> c.get(0).tip()).toList(),
                frameWidth, frameHeight);
        List<BufferedImage> each = new ArrayList<>();
        List<TipPrediction> guesses = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            List<TipEncoding.Candidate> options = candidates.get(i);
            double lead = options.get(0).share() * strongest.get(i).presence();
            for (TipEncoding.Candidate c : options.subList(1, options.size())) {
                if (c.share() > lead) {
                    each.add(frames.get(i));
                    guesses.add(c.tip());
                }
            }
        }
        List<TipPrediction> others = each.isEmpty() ? List.of() : place(refiner, each, guesses, frameWidth, frameHeight);
        List<TipPrediction> chosen = new ArrayList<>(frames.size());
        int next = 0;
        for (int i = 0; i < frames.size(); i++) {
            List<TipEncoding.Candidate> options = candidates.get(i);
            TipEncoding.Candidate best = options.get(0);
            TipPrediction at = strongest.get(i);
            double lead = best.share() * at.presence();
            double bestScore = lead;
            for (TipEncoding.Candidate c : options.subList(1, options.size())) {
                if (c.share() > lead) {
                    TipPrediction placed = others.get(next++);
                    double score = c.share() * placed.presence();
                    if (score > bestScore) {
                        bestScore = score;
                        best = c;
                        at = placed;
                    }
                }
            }
            chosen.add(new TipPrediction(Math.sqrt(best.tip().presence() * at.presence()), at.x(), at.y()));
        }
        return chosen;
    }

    /** The refiner's tip (and its presence) on the crop around each guess, in frame pixels. */
    private static List<TipPrediction> place(CropPlacer refiner, List<BufferedImage> frames, List<TipPrediction> coarse,
            int frameWidth, int frameHeight) {
        int crop = refiner.shape().inputWidth();
        float[] pixels = new float[frames.size() * crop * crop];
        int[][] origins = new int[frames.size()][];
        for (int i = 0; i < frames.size(); i++) {
            TipPrediction p = coarse.get(i);
            origins[i] = new int[] {(int) Math.round(p.x()) - crop / 2, (int) Math.round(p.y()) - crop / 2};
            BufferedImage full = FrameResize.to(frames.get(i), frameWidth, frameHeight);
            System.arraycopy(FrameTensor.pixels(cut(full, origins[i][0], origins[i][1], crop), crop, crop), 0, pixels,
                    i * crop * crop, crop * crop);
        }
        INDArray input = FrameTensor.array(pixels, frames.size(), 1, crop, crop);
        List<TipPrediction> placed = refiner.place(input);
        List<TipPrediction> refined = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            double x = Math.max(0, Math.min(frameWidth, origins[i][0] + placed.get(i).x()));
            double y = Math.max(0, Math.min(frameHeight, origins[i][1] + placed.get(i).y()));
            refined.add(new TipPrediction(placed.get(i).presence(), x, y));
        }
        return refined;
    }

    /**
     * The {@code size x size} window of an 8-bit grayscale image whose top-left corner is (ox, oy);
     * beyond the image's edge, the nearest edge pixel (as the augmentation's border).
     */
    public static BufferedImage cut(BufferedImage image, int ox, int oy, int size) {
        return cut(image, ox, oy, size, size);
    }

    /** The {@code width x height} window whose top-left corner is (ox, oy), as {@link #cut(BufferedImage, int, int, int)}. */
    public static BufferedImage cut(BufferedImage image, int ox, int oy, int width, int height) {
        if (image.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IllegalArgumentException("crops are cut from 8-bit grayscale frames");
        }
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        // the window's columns [from, to) lie on the frame; those left and right of it repeat its edge
        int from = Math.max(0, Math.min(width, -ox));
        int to = Math.max(from, Math.min(width, w - ox));
        for (int y = 0; y < height; y++) {
            int row = Math.max(0, Math.min(h - 1, oy + y)) * w;
            int at = y * width;
            Arrays.fill(dst, at, at + from, src[row]);
            if (to > from) {
                System.arraycopy(src, row + ox + from, dst, at + from, to - from);
            }
            Arrays.fill(dst, at + to, at + width, src[row + w - 1]);
        }
        return out;
    }
}
