package tipstream.trainer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.model.TipRefiner;
import tipstream.v1.DatasetSample;

/**
 * Where the first stage, as it is now, mistakes something else for the tip on the training frames a
 * loader keeps: each frame's confusers ({@link TipRefiner#confusers}), for the loader to draw the
 * refining stage's crops away from the tip there ({@link PrefetchingLoader#confusers}). The trainer
 * looks again at each checkpoint, so the refiner learns to say "no tip" to what the first stage
 * currently finds tip-like (hard negatives, as two-stage detectors train their second stage on the
 * first one's proposals). 1.9-4.3 s for the main job's 1,140 frames, beside eval (BENCHMARKS.md).
 */
public final class Confusers {
    /** Frames the first stage looks at at once. */
    private static final int BATCH = 32;

    private Confusers() {
    }

    /**
     * The confusers of each kept sample (by {@link PrefetchingLoader.Kept#id}): the first stage of
     * {@code net} on each sample's frame, its places in {@code encoding}'s (frame) pixels, less those a
     * {@code crop}-pixel crop around the tip holds (the refining stage's crop).
     */
    public static Map<String, List<TipPrediction>> find(TipNet net, TipEncoding encoding, int crop,
            List<PrefetchingLoader.Kept> kept) {
        Map<String, List<TipPrediction>> found = new HashMap<>();
        for (int start = 0; start < kept.size(); start += BATCH) {
            List<PrefetchingLoader.Kept> some = kept.subList(start, Math.min(kept.size(), start + BATCH));
            INDArray output = net.output(FrameTensor.batch(some.stream().map(PrefetchingLoader.Kept::input).toList(),
                    net.config().inputHeight(), net.config().inputWidth()));
            for (int i = 0; i < some.size(); i++) {
                DatasetSample s = some.get(i).sample();
                found.put(some.get(i).id(), TipRefiner.confusers(encoding.candidates(
                        output.get(NDArrayIndex.point(i)).dup().data().asFloat(), TipRefiner.CANDIDATES),
                        s.getVisible(), s.getTip().getX(), s.getTip().getY(), crop));
            }
        }
        return found;
    }
}
