package tipstream.bench;

import java.util.List;
import picocli.CommandLine.Option;
import tipstream.model.TipNetConfig;

/** Options that change a preset network's shape, for trying shapes without editing the presets. */
final class NetOverrides {
    @Option(names = "--deep-channels", split = ",", description = "the preset's deeper stages brought back up (0: none)")
    List<Integer> deepChannels;

    @Option(names = "--context-channels", description = "the preset's context width")
    Integer contextChannels;

    @Option(names = "--context-dilations", split = ",", description = "the preset's context convolutions (0: none)")
    List<Integer> contextDilations;

    @Option(names = "--stage-channels", split = ",", description = "the preset's stride-2 stages")
    List<Integer> stageChannels;

    @Option(names = "--stem-channels", description = "the preset's stem width")
    Integer stemChannels;

    @Option(names = "--input-width", description = "the width the frame is scaled to (528: full size)")
    Integer inputWidth;

    @Option(names = "--input-height", description = "the height the frame is scaled to (406: full size)")
    Integer inputHeight;

    @Option(names = "--stem-stride", description = "1, 2 or 4")
    Integer stemStride;

    @Option(names = "--batch-norm", negatable = true, description = "batch norm after each convolution")
    Boolean batchNorm;

    @Option(names = "--fine-channels", description = "the width of a fine level, the output map twice as fine (0: none)")
    Integer fineChannels;

    @Option(names = "--presence-weight", description = "the loss weight of the presence decision")
    Double presenceWeight;

    @Option(names = "--position-weight", description = "the loss weight of the sub-cell position")
    Double positionWeight;

    @Option(names = "--refine-crop", description = "the second stage's crop in frame pixels (0: the first stage alone)")
    Integer refineCrop;

    @Option(names = "--standardised", negatable = true, description = "each frame and crop to zero mean, unit variance")
    Boolean standardised;

    @Option(names = "--weight-decay", description = "decoupled weight decay of the convolutions' weights (0: none)")
    Double weightDecay;

    @Option(names = "--init-seed", description = "the seed of the weights' initialisation (default: the preset's), to"
            + " measure how much a figure moves with the starting weights alone; the frames stay --seed's")
    Long initSeed;

    TipNetConfig apply(TipNetConfig preset) {
        return new TipNetConfig(preset.head(), inputHeight == null ? preset.inputHeight() : inputHeight,
                inputWidth == null ? preset.inputWidth() : inputWidth,
                stemChannels == null ? preset.stemChannels() : stemChannels,
                stageChannels == null ? preset.stageChannels() : stageChannels, deepChannels == null ? preset.deepChannels() : positive(deepChannels),
                contextChannels == null ? preset.contextChannels() : contextChannels,
                contextDilations == null ? preset.contextDilations() : positive(contextDilations), preset.learningRate(),
                initSeed == null ? preset.seed() : initSeed, presenceWeight == null ? preset.presenceWeight() : presenceWeight,
                positionWeight == null ? preset.positionWeight() : positionWeight,
                stemStride == null ? preset.stemStride() : stemStride,
                batchNorm == null ? preset.batchNorm() : batchNorm,
                fineChannels == null ? preset.fineChannels() : fineChannels,
                refineCrop == null ? preset.refineCrop() : refineCrop,
                standardised == null ? preset.standardised() : standardised,
                weightDecay == null ? preset.weightDecay() : weightDecay);
    }

    private static List<Integer> positive(List<Integer> values) {
        return values.stream().filter(v -> v > 0).toList();
    }
}
