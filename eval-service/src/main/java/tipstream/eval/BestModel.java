package tipstream.eval;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.model.TipNet;
import tipstream.v1.BestCheckpoint;
import tipstream.v1.CheckpointReady;

/**
 * The best evaluated checkpoint so far (highest {@code accuracy/overall_mean} on the validation
 * split, or on eval when the dataset has none, then lowest loss) and its network and calibrated
 * presence threshold, for Predict. Kept in S3 at {@value #KEY} so a restarted service serves the
 * same model at once.
 */
@ApplicationScoped
public class BestModel {
    static final String KEY = "models/best.pb";
    private static final Logger LOG = Logger.getLogger(BestModel.class);

    /** The checkpoint with its loaded network. */
    public record Loaded(BestCheckpoint best, TipNet net) {
    }

    private final BlobStore blobs;
    private volatile Loaded current;

    public BestModel(BlobStore blobs) {
        this.blobs = blobs;
    }

    void load(@Observes StartupEvent event) {
        try {
            Optional<byte[]> stored = blobs.find(KEY);
            if (stored.isPresent()) {
                BestCheckpoint best = BestCheckpoint.parseFrom(stored.get());
                current = new Loaded(best, TipNet.fromBytes(
                        blobs.get(best.getCheckpoint().getCheckpointKey())));
                LOG.infof("serving %s step %d (overall_mean %.3f)", best.getCheckpoint().getRunId(),
                        best.getCheckpoint().getStep(), best.getOverallMean());
            }
        } catch (Exception e) {
            LOG.warnf("no best model loaded (%s); the next evaluation sets one", e.toString());
        }
    }

    public Optional<Loaded> current() {
        return Optional.ofNullable(current);
    }

    /**
     * Takes the checkpoint, evaluated on {@code split} (validation when the dataset has one), if it
     * beats the current best; returns whether it did. A best chosen on validation is only replaced
     * by one chosen on validation.
     */
    public synchronized boolean offer(CheckpointReady checkpoint, TipNet net, CheckpointEvaluator.Evaluation evaluation,
            String split, int samples) {
        double overall = evaluation.metrics().overallMean();
        if (current != null && !beats(overall, evaluation.loss(), split, current.best())) {
            return false;
        }
        BestCheckpoint best = BestCheckpoint.newBuilder().setCheckpoint(checkpoint).setOverallMean(overall)
                .setLoss(evaluation.loss()).setEvalSamples(samples)
                .setPresenceThreshold(evaluation.metrics().threshold()).setChosenOn(split).build();
        blobs.put(KEY, best.toByteArray(), "application/x-protobuf");
        current = new Loaded(best, net);
        return true;
    }

    static boolean beats(double overall, double loss, String split, BestCheckpoint best) {
        if (!split.equals(best.getChosenOn())) {
            return split.equals(CaptureSplit.VALIDATION); // validation outranks eval, never the other way
        }
        return overall > best.getOverallMean() || (overall == best.getOverallMean() && loss < best.getLoss());
    }
}
