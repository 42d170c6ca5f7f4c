package tipstream.trainer;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import tipstream.v1.DatasetSample;

/**
 * A batch ready for the network: input [N, 1, H, W], labels [N, 3, rows, cols], the samples it was
 * made of, and where the loader stood after it (epoch, samples consumed in that epoch), which a
 * checkpoint records so a restarted run continues with the next batch.
 */
public record TrainingBatch(INDArray input, INDArray labels, List<DatasetSample> samples, int epoch,
        long samplesIntoEpoch) {
}
