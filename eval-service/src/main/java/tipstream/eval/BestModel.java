package tipstream.eval;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.model.TipNet;
import tipstream.v1.BestCheckpoint;
import tipstream.v1.CheckpointReady;

/**
 * The best evaluated checkpoint so far (highest {@code accuracy/overall_mean}, then lowest loss)
 * and its network, for Predict. Kept in S3 at {@value #KEY} so a restarted service serves the
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

    /** Takes the evaluated checkpoint if it beats the current best; returns whether it did. */
    public synchronized boolean offer(CheckpointReady checkpoint, TipNet net, CheckpointEvaluator.Evaluation evaluation,
            int samples) {
        double overall = evaluation.metrics().overallMean();
        if (current != null && !beats(overall, evaluation.loss(), current.best())) {
            return false;
        }
        BestCheckpoint best = BestCheckpoint.newBuilder().setCheckpoint(checkpoint).setOverallMean(overall)
                .setLoss(evaluation.loss()).setEvalSamples(samples).build();
        blobs.put(KEY, best.toByteArray(), "application/x-protobuf");
        current = new Loaded(best, net);
        return true;
    }

    static boolean beats(double overall, double loss, BestCheckpoint best) {
        return overall > best.getOverallMean() || (overall == best.getOverallMean() && loss < best.getLoss());
    }
}
