package tipstream.model;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The network's shape, in one place: which head it has, its input size (the frame scaled down), a
 * stem convolution (stride 1, 2 or 4: at 4, the input folded 2 x 2 into four channels, then a 3 x 3
 * convolution of stride 2; {@link #inputFold()}), stride-2 stages of the given widths (each halves the input,
 * rounding up, "same" padding; with the stem they set the output stride), optional deeper stride-2
 * stages whose features are brought back up to the output stride and added (top-down context, as
 * in a feature pyramid: every output cell then sees the whole frame), context convolutions at the
 * output stride (3 x 3, dilated as listed), optionally a fine level (the context's features
 * brought up one level and added to the encoder's features there, as a feature pyramid's last step
 * does, then one 3 x 3 convolution: the output map is twice as fine, every cell still seeing the
 * context), whether each convolution is followed by batch norm, the loss weights, and the crop a
 * second stage refines the tip on ({@link TipRefiner}; 0 for none), and whether each image is
 * standardised before the network sees it ({@link FrameTensor#input}). Every checkpoint carries it ({@link #toProperties()}), so a checkpoint is
 * always read with the shape it was trained with; one saved before stem stride and batch norm were
 * part of the shape had a stride-1 stem and batch norm, which is what reading it assumes; one saved
 * before standardisation took frames as they are.
 */
public record TipNetConfig(Head head, int inputHeight, int inputWidth, int stemChannels, List<Integer> stageChannels,
        List<Integer> deepChannels, int contextChannels, List<Integer> contextDilations, double learningRate, long seed,
        double presenceWeight, double positionWeight, int stemStride, boolean batchNorm, int fineChannels,
        int refineCrop, boolean standardised, double weightDecay) {

    /** What the output map means and how it is scored. */
    public enum Head {
        /** The seed project's YOLO-style grid ({@link TipGrid}, {@link TipLoss}). */
        GRID(TipGrid.CHANNELS),
        /** A fine heatmap with image-level presence and sub-cell offsets ({@link TipHeatmap}, {@link HeatmapLoss}). */
        HEATMAP(TipHeatmap.CHANNELS);

        private final int channels;

        Head(int channels) {
            this.channels = channels;
        }

        public int channels() {
            return channels;
        }
    }

    public TipNetConfig {
        stageChannels = List.copyOf(stageChannels);
        deepChannels = List.copyOf(deepChannels);
        contextDilations = List.copyOf(contextDilations);
        if (inputHeight <= 0 || inputWidth <= 0 || stemChannels <= 0 || stageChannels.isEmpty()
                || (!contextDilations.isEmpty() && contextChannels <= 0) || (stemStride != 1 && stemStride != 2 && stemStride != 4)
                || fineChannels < 0 || refineCrop < 0 || (refineCrop > 0 && (head != Head.HEATMAP || refineCrop % 4 != 0))
                || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("a network needs a positive input size, a stem of stride 1, 2 or 4, at"
                    + " least one stage, with context convolutions their width, no negative fine width, a"
                    + " refining crop only on a heatmap, a multiple of 4 pixels, and no negative weight decay");
        }
    }

    /** A shape trained without weight decay. */
    public TipNetConfig(Head head, int inputHeight, int inputWidth, int stemChannels, List<Integer> stageChannels,
            List<Integer> deepChannels, int contextChannels, List<Integer> contextDilations, double learningRate,
            long seed, double presenceWeight, double positionWeight, int stemStride, boolean batchNorm,
            int fineChannels, int refineCrop, boolean standardised) {
        this(head, inputHeight, inputWidth, stemChannels, stageChannels, deepChannels, contextChannels, contextDilations,
                learningRate, seed, presenceWeight, positionWeight, stemStride, batchNorm, fineChannels, refineCrop,
                standardised, 0);
    }

    /** A shape that takes frames as they are (0..1, not standardised). */
    public TipNetConfig(Head head, int inputHeight, int inputWidth, int stemChannels, List<Integer> stageChannels,
            List<Integer> deepChannels, int contextChannels, List<Integer> contextDilations, double learningRate,
            long seed, double presenceWeight, double positionWeight, int stemStride, boolean batchNorm,
            int fineChannels, int refineCrop) {
        this(head, inputHeight, inputWidth, stemChannels, stageChannels, deepChannels, contextChannels, contextDilations,
                learningRate, seed, presenceWeight, positionWeight, stemStride, batchNorm, fineChannels, refineCrop, false);
    }

    /** A shape without a refining stage. */
    public TipNetConfig(Head head, int inputHeight, int inputWidth, int stemChannels, List<Integer> stageChannels,
            List<Integer> deepChannels, int contextChannels, List<Integer> contextDilations, double learningRate,
            long seed, double presenceWeight, double positionWeight, int stemStride, boolean batchNorm,
            int fineChannels) {
        this(head, inputHeight, inputWidth, stemChannels, stageChannels, deepChannels, contextChannels, contextDilations,
                learningRate, seed, presenceWeight, positionWeight, stemStride, batchNorm, fineChannels, 0);
    }

    /** A shape without a fine level. */
    public TipNetConfig(Head head, int inputHeight, int inputWidth, int stemChannels, List<Integer> stageChannels,
            List<Integer> deepChannels, int contextChannels, List<Integer> contextDilations, double learningRate,
            long seed, double presenceWeight, double positionWeight, int stemStride, boolean batchNorm) {
        this(head, inputHeight, inputWidth, stemChannels, stageChannels, deepChannels, contextChannels, contextDilations,
                learningRate, seed, presenceWeight, positionWeight, stemStride, batchNorm, 0, 0);
    }

    /** Whether a second stage places the tip again on a full-resolution crop ({@link TipRefiner}). */
    public boolean refines() {
        return refineCrop > 0;
    }

    /** The same shape with a refining stage on crops of {@code crop} x {@code crop} frame pixels (0: none). */
    public TipNetConfig withRefineCrop(int crop) {
        return new TipNetConfig(head, inputHeight, inputWidth, stemChannels, stageChannels, deepChannels, contextChannels,
                contextDilations, learningRate, seed, presenceWeight, positionWeight, stemStride, batchNorm,
                fineChannels, crop, standardised, weightDecay);
    }

    /** The same shape trained with another weight decay. */
    public TipNetConfig withWeightDecay(double decay) {
        return new TipNetConfig(head, inputHeight, inputWidth, stemChannels, stageChannels, deepChannels, contextChannels,
                contextDilations, learningRate, seed, presenceWeight, positionWeight, stemStride, batchNorm,
                fineChannels, refineCrop, standardised, decay);
    }

    /** Whether the output map is one level finer than the encoder's. */
    public boolean fine() {
        return fineChannels > 0;
    }

    /** The seed project's grid model at half resolution: five stages, a 9 x 7 grid of ~59 x 58 px cells. */
    public static TipNetConfig grid() {
        return new TipNetConfig(Head.GRID, 203, 264, 16, List.of(32, 32, 64, 64, 128), List.of(), 128, List.of(1),
                1e-3, 42, 5.0, 1.0, 1, true);
    }

    /**
     * The heatmap model at a quarter of the frame's resolution (132 x 102): a stride-2 stem and two
     * stages (output stride 8, a 17 x 13 map of 32 px cells), four context convolutions there (each
     * cell sees about 320 x 320 px of the frame), no batch norm. A quarter rather than half: the first
     * stage only has to find the tip (the refiner places it on the frame's own pixels), and with fewer
     * pixels it takes more steps in the same minutes, which is what its misses wanted (on the main
     * job's stored dataset, 6.8 fit-minutes: eval overall_mean 0.926 and dist_mean 3.75 px at a
     * quarter, 4668 steps; 0.908 and 4.31 px at 3/8, 3852 steps; 0.849-0.867 and 8.9-10.2 px at half,
     * 2636-2681 steps; BENCHMARKS.md, "Model quality"). Measured (BENCHMARKS.md): DL4J M2.1 computes batch norm's
     * statistics with slow legacy reductions and the full-resolution stem's maps are the largest,
     * so a stride-2 stem without batch norm trains 4x faster (100 vs 25 images/s) and learns at
     * least as well in the same minutes. Not dilated: DL4J M2.1 runs dilated convolutions 2-4x
     * slower; no deeper stages: with them it learned slower in the same time. A second stage places
     * the tip again on the 80 x 80 frame pixels around where this map puts it ({@link TipRefiner}):
     * at half resolution the map's median miss was 3.3 px, with the crop's 1.0 px (BENCHMARKS.md,
     * "Model quality"). Each frame and crop is standardised ({@link FrameTensor#input}): without batch
     * norm the raw 0..1 pixels trained slower, and a capture's exposure is then not something to
     * learn (on the main job's stored dataset, 6.8 fit-minutes: eval overall_mean 0.903 against
     * 0.861, eval loss 2.05 against 2.23; in the learning curve ahead at 5 minutes, 0.902 against
     * 0.868, but behind at 30, 0.953 against 0.963; BENCHMARKS.md).
     */
    public static TipNetConfig heatmap() {
        return new TipNetConfig(Head.HEATMAP, 102, 132, 16, List.of(32, 64), List.of(), 64,
                List.of(1, 1, 1, 1), 1e-3, 42, 1.0, 1.0, 2, false, 0, TipRefiner.DEFAULT_CROP, true);
    }

    /** The model the services train unless configured otherwise. */
    public static TipNetConfig standard() {
        return heatmap();
    }

    /** A preset by name: {@code heatmap} or {@code grid}. */
    public static TipNetConfig named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "heatmap" -> heatmap();
            case "grid" -> grid();
            default -> throw new IllegalArgumentException("no model named '" + name + "' (heatmap or grid)");
        };
    }

    /**
     * How many input pixels each way the network takes as the channels of one position ({@link
     * FrameTensor#input}, in plain Java): 2 behind a stride-4 stem, else 1. A 4 x 4 stride-4
     * convolution on the frame itself cost DL4J more than the whole quarter-size network: at 264 x 203
     * it trained 276-302 images/s against 403-433 for the quarter-size preset; folded, 415-422 against
     * 465-475 (BENCHMARKS.md, "Model quality"). An odd size is padded by a row or column of zeros (the
     * mean, on a standardised input).
     */
    public int inputFold() {
        return stemStride == 4 ? 2 : 1;
    }

    /** How many input pixels one output cell spans each way. */
    public int stride() {
        return fine() ? encoderStride() / 2 : encoderStride();
    }

    /** How many input pixels one cell of the encoder's (and the context's) map spans each way. */
    public int encoderStride() {
        return stemStride << stageChannels.size();
    }

    public int gridRows() {
        return shrink(inputHeight, encoderLevels() - (fine() ? 1 : 0));
    }

    public int gridCols() {
        return shrink(inputWidth, encoderLevels() - (fine() ? 1 : 0));
    }

    /** The encoder's (and the context's) map: rows. */
    public int encoderRows() {
        return shrink(inputHeight, encoderLevels());
    }

    /** The encoder's (and the context's) map: columns. */
    public int encoderCols() {
        return shrink(inputWidth, encoderLevels());
    }

    /** How many stride-2 steps the encoder takes. */
    private int encoderLevels() {
        return stageChannels.size() + Integer.numberOfTrailingZeros(stemStride);
    }

    /** The size after {@code stages} stride-2 stages with "same" padding. */
    static int shrink(int size, int stages) {
        for (int i = 0; i < stages; i++) {
            size = (size + 1) / 2;
        }
        return size;
    }

    /** The output map's meaning over an original frame of this size. */
    public TipEncoding encoding(double frameWidth, double frameHeight) {
        return switch (head) {
            case GRID -> new TipGrid(frameWidth, frameHeight, gridCols(), gridRows());
            case HEATMAP -> new TipHeatmap(frameWidth, frameHeight, gridCols(), gridRows(),
                    stride() * frameWidth / inputWidth, stride() * frameHeight / inputHeight);
        };
    }

    /** The shape as text, as checkpoints carry it. */
    public String toProperties() {
        Properties p = new Properties();
        p.setProperty("head", head.name());
        p.setProperty("input.height", Integer.toString(inputHeight));
        p.setProperty("input.width", Integer.toString(inputWidth));
        p.setProperty("stem.channels", Integer.toString(stemChannels));
        p.setProperty("stem.stride", Integer.toString(stemStride));
        p.setProperty("batch.norm", Boolean.toString(batchNorm));
        p.setProperty("stage.channels", join(stageChannels));
        p.setProperty("deep.channels", join(deepChannels));
        p.setProperty("context.channels", Integer.toString(contextChannels));
        p.setProperty("context.dilations", join(contextDilations));
        p.setProperty("learning.rate", Double.toString(learningRate));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("loss.presence.weight", Double.toString(presenceWeight));
        p.setProperty("loss.position.weight", Double.toString(positionWeight));
        p.setProperty("fine.channels", Integer.toString(fineChannels));
        p.setProperty("refine.crop", Integer.toString(refineCrop));
        p.setProperty("input.standardised", Boolean.toString(standardised));
        p.setProperty("weight.decay", Double.toString(weightDecay));
        StringWriter out = new StringWriter();
        try {
            p.store(out, "tipstream network shape");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Reads {@link #toProperties()}; fails with the reason on anything missing or malformed. */
    public static TipNetConfig fromProperties(String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            return new TipNetConfig(Head.valueOf(required(p, "head")), Integer.parseInt(required(p, "input.height")),
                    Integer.parseInt(required(p, "input.width")), Integer.parseInt(required(p, "stem.channels")),
                    split(required(p, "stage.channels")), split(p.getProperty("deep.channels", "")),
                    Integer.parseInt(required(p, "context.channels")),
                    split(p.getProperty("context.dilations", "")), Double.parseDouble(required(p, "learning.rate")),
                    Long.parseLong(required(p, "seed")), Double.parseDouble(required(p, "loss.presence.weight")),
                    Double.parseDouble(required(p, "loss.position.weight")),
                    Integer.parseInt(p.getProperty("stem.stride", "1").trim()),
                    Boolean.parseBoolean(p.getProperty("batch.norm", "true").trim()),
                    Integer.parseInt(p.getProperty("fine.channels", "0").trim()),
                    Integer.parseInt(p.getProperty("refine.crop", "0").trim()),
                    Boolean.parseBoolean(p.getProperty("input.standardised", "false").trim()),
                    Double.parseDouble(p.getProperty("weight.decay", "0").trim()));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a network shape: " + e.getMessage(), e);
        }
    }

    private static String required(Properties p, String key) {
        String value = p.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("'" + key + "' is missing");
        }
        return value.trim();
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static List<Integer> split(String text) {
        return text.isBlank() ? List.of()
                : Arrays.stream(text.split(",")).map(String::trim).map(Integer::valueOf).toList();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %dx%d%s stem %d stages %s deep %s context %d%s fine %d -> %d x %d%s", head,
                inputWidth, inputHeight, standardised ? " standardised" : "", stemChannels, stageChannels, deepChannels,
                contextChannels, contextDilations, fineChannels, gridCols(), gridRows(),
                refines() ? ", refined on " + refineCrop + " px crops" : "");
    }
}
