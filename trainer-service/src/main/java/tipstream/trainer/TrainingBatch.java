package tipstream.trainer;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import tipstream.v1.DatasetSample;

/**
 * A batch ready for the network: input [N, 1, H, W], labels [N, channels, rows, cols], the samples
 * it was made of, each sample's truth as the network saw it (after random augmentation: the tip
 * moved, or out of view), and where the loader stood after it (epoch, samples consumed in that
 * epoch), which a checkpoint records so a restarted run continues with the next batch; when the
 * network refines, the crops its second stage trains on (null otherwise).
 */
public record TrainingBatch(INDArray input, INDArray labels, List<DatasetSample> samples, List<Truth> truths,
        int epoch, long samplesIntoEpoch, Crops crops) {

    /** A batch without crops for a refining stage. */
    public TrainingBatch(INDArray input, INDArray labels, List<DatasetSample> samples, List<Truth> truths, int epoch,
            long samplesIntoEpoch) {
        this(input, labels, samples, truths, epoch, samplesIntoEpoch, null);
    }

    /** The refining stage's batch: one full-resolution crop per sample [N, 1, crop, crop], and its targets. */
    public record Crops(INDArray input, INDArray labels) {
    }

    /** Whether the tip is in view, and where, in original-frame pixels. */
    public record Truth(boolean visible, double x, double y) {
    }
}
