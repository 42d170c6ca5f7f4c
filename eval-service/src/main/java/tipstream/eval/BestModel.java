package tipstream.eval;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import java.util.function.Function;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.ObjectKeys;
import tipstream.model.TipNet;
import tipstream.v1.BestCheckpoint;
import tipstream.v1.CheckpointReady;

/**
 * The best evaluated checkpoint so far (highest {@code accuracy/overall_mean} on the validation
 * split, or on eval when the dataset has none, then lowest loss) and its network and calibrated
 * presence threshold, for Predict. Kept in S3 at {@value ObjectKeys#BEST_MODEL} so a restarted service serves the
 * same model at once.
 */
@ApplicationScoped
public class BestModel {
    private static final Logger LOG = Logger.getLogger(BestModel.class);
    private static final long RELOAD_INTERVAL_NANOS = 5_000_000_000L;

    /** The checkpoint with its loaded network. */
    public record Loaded(BestCheckpoint best, TipNet net) {
    }

    /**
     * The frames an offer was scored on: a dataset version's split and its size, and how another
     * network is scored on the same frames (its threshold calibrated as the offer's was), so that
     * the best is compared on the frames the offer saw.
     */
    public record Scoring(String split, String datasetVersion, int samples,
            Function<TipNet, CheckpointEvaluator.Evaluation> scoreAnother) {
    }

    private final BlobStore blobs;
    /** What {@value ObjectKeys#BEST_MODEL} says, once read; its network may not have loaded (yet). */
    private volatile Optional<BestCheckpoint> record;
    private volatile Loaded current;
    private volatile long lastLoadAttempt = System.nanoTime() - RELOAD_INTERVAL_NANOS;

    public BestModel(BlobStore blobs) {
        this.blobs = blobs;
    }

    void load(@Observes StartupEvent event) {
        try {
            loadStored();
        } catch (Exception e) {
            LOG.warnf("best model not loaded yet (%s); trying again when asked", e.toString());
        }
    }

    /**
     * Reads {@value ObjectKeys#BEST_MODEL} and the network it names. The record is kept even when the network does
     * not load (S3 away, a checkpoint gone), so that the next evaluation is still compared with it
     * and cannot replace a good model only because it could not be read (review R10).
     */
    private synchronized void loadStored() throws Exception {
        if (record == null) {
            Optional<byte[]> stored = blobs.find(ObjectKeys.BEST_MODEL);
            record = stored.isEmpty() ? Optional.empty() : Optional.of(BestCheckpoint.parseFrom(stored.get()));
        }
        if (current == null && record.isPresent()) {
            BestCheckpoint best = record.get();
            current = new Loaded(best, TipNet.forInference(blobs.get(best.getCheckpoint().getCheckpointKey())));
            LOG.infof("serving %s step %d (overall_mean %.3f)", best.getCheckpoint().getRunId(),
                    best.getCheckpoint().getStep(), best.getOverallMean());
        }
    }

    /** The best model with its network, trying to load it (every few seconds at most) while it could not be. */
    public Optional<Loaded> current() {
        long now = System.nanoTime();
        if (current == null && now - lastLoadAttempt > RELOAD_INTERVAL_NANOS) {
            lastLoadAttempt = now;
            load(null);
        }
        return Optional.ofNullable(current);
    }

    /**
     * Takes the checkpoint, evaluated as {@code on} says (on validation when the dataset has one),
     * if it beats the best so far; returns whether it did. A best chosen on validation is only
     * replaced by one chosen on validation. A best scored on another version's split (an older,
     * smaller one) is first scored again on this one and keeps its place with that score if it still
     * wins (review R10: scores of different frames are not compared); when its network cannot be
     * read, its stored score stands. The stored best is read again first, so that what another eval
     * wrote is compared with. Fails while the stored best cannot be read, so that the caller tries
     * again instead of overwriting it.
     */
    public synchronized boolean offer(CheckpointReady checkpoint, TipNet net, CheckpointEvaluator.Evaluation evaluation,
            Scoring on) throws Exception {
        readRecord();
        if (record.isPresent() && record.get().getChosenOn().equals(on.split())
                && !(record.get().getDatasetVersion().equals(on.datasetVersion())
                        && record.get().getEvalSamples() == on.samples())) {
            scoreAgain(on);
        }
        double overall = evaluation.metrics().overallMean();
        if (record.isPresent() && !beats(overall, evaluation.loss(), on.split(), record.get())) {
            return false;
        }
        keep(new Loaded(scored(BestCheckpoint.newBuilder().setCheckpoint(checkpoint), evaluation, on), net));
        return true;
    }

    /**
     * Reads {@value ObjectKeys#BEST_MODEL} again: another eval (a second replica, the pod before a restart) may have
     * written it since, and an offer compared with an old copy would replace a better best (review
     * R10). A network loaded for another checkpoint is dropped, to be loaded again when asked.
     */
    private void readRecord() throws Exception {
        Optional<byte[]> stored = blobs.find(ObjectKeys.BEST_MODEL);
        record = stored.isEmpty() ? Optional.empty() : Optional.of(BestCheckpoint.parseFrom(stored.get()));
        if (current != null && !(record.isPresent()
                && record.get().getCheckpoint().equals(current.best().getCheckpoint()))) {
            current = null;
        }
    }

    /** Scores the best again on the offer's frames and keeps that score; leaves it as it is when its network cannot be read. */
    private void scoreAgain(Scoring on) {
        try {
            loadStored();
        } catch (Exception e) {
            LOG.warnf("the best model's network cannot be read (%s): compared by its score on %s %s", e,
                    record.get().getDatasetVersion(), record.get().getChosenOn());
            return;
        }
        CheckpointEvaluator.Evaluation again = on.scoreAnother().apply(current.net());
        LOG.infof("best model %s step %d scored again on %s %s: overall_mean %.3f (was %.3f on %s)",
                record.get().getCheckpoint().getRunId(), record.get().getCheckpoint().getStep(), on.datasetVersion(),
                on.split(), again.metrics().overallMean(), record.get().getOverallMean(), record.get().getDatasetVersion());
        keep(new Loaded(scored(record.get().toBuilder(), again, on), current.net()));
    }

    private static BestCheckpoint scored(BestCheckpoint.Builder best, CheckpointEvaluator.Evaluation evaluation,
            Scoring on) {
        return best.setOverallMean(evaluation.metrics().overallMean()).setLoss(evaluation.loss())
                .setEvalSamples(on.samples()).setPresenceThreshold(evaluation.metrics().threshold())
                .setChosenOn(on.split()).setDatasetVersion(on.datasetVersion()).build();
    }

    private void keep(Loaded best) {
        blobs.put(ObjectKeys.BEST_MODEL, best.best().toByteArray(), "application/x-protobuf");
        record = Optional.of(best.best());
        current = best;
    }

    static boolean beats(double overall, double loss, String split, BestCheckpoint best) {
        if (!split.equals(best.getChosenOn())) {
            return split.equals(CaptureSplit.VALIDATION); // validation outranks eval, never the other way
        }
        return overall > best.getOverallMean() || (overall == best.getOverallMean() && loss < best.getLoss());
    }
}
