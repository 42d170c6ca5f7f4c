package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.dataset.ObjectKeys;
import tipstream.devstack.DevStack;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.model.TipPrediction;
import tipstream.v1.BestCheckpoint;
import tipstream.v1.CheckpointReady;

class BestModelTest {
    private final BestCheckpoint current = BestCheckpoint.newBuilder().setOverallMean(0.6).setLoss(2.0)
            .setChosenOn("validation").build();

    @Test
    void higherOverallMeanWinsWhateverTheLoss() {
        assertThat(BestModel.beats(0.7, 9.0, "validation", current)).isTrue();
        assertThat(BestModel.beats(0.5, 0.1, "validation", current)).isFalse();
    }

    @Test
    void aTieGoesToTheLowerLoss() {
        assertThat(BestModel.beats(0.6, 1.9, "validation", current)).isTrue();
        assertThat(BestModel.beats(0.6, 2.0, "validation", current)).isFalse();
    }

    @Test
    void aCheckpointChosenOnValidationIsNeverReplacedByOneScoredOnlyOnEval() {
        assertThat(BestModel.beats(1.0, 0.1, "eval", current)).isFalse();
        BestCheckpoint onEval = current.toBuilder().setChosenOn("eval").build();
        assertThat(BestModel.beats(0.1, 9.0, "validation", onEval)).isTrue();
    }

    @Test
    void aBestModelWhoseNetworkCannotBeReadIsNotReplacedByAWorseOne(@TempDir Path dir) throws Exception {
        // review R10: a failed load at startup used to leave no best, so the next checkpoint (often
        // an untrained step 0) overwrote the record of the real best
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            CheckpointReady c1 = CheckpointReady.newBuilder().setRunId("r10").setStep(900)
                    .setCheckpointKey("runs/r10/checkpoints/step-000000000900.zip").build();
            blobs.put(ObjectKeys.BEST_MODEL, BestCheckpoint.newBuilder().setCheckpoint(c1).setOverallMean(0.9).setLoss(1.0)
                    .setChosenOn("validation").build().toByteArray(), "application/x-protobuf");
            BestModel best = new BestModel(blobs);
            best.load(null); // C1's network is not there (yet)
            assertThat(best.current()).isEmpty();

            TipNet net = TipNet.build(TipNetConfig.standard());
            CheckpointReady c2 = c1.toBuilder().setStep(0).setCheckpointKey("runs/r10/checkpoints/step-000000000000.zip")
                    .build();
            TipMetrics worse = new TipMetrics(0.5);
            worse.add(true, 100, 100, new TipPrediction(0.9, 300, 300)); // overall_mean 0
            // scored on another version's frames: C1 cannot be scored again, so its stored score stands
            assertThat(best.offer(c2, net, new CheckpointEvaluator.Evaluation(worse, 9.0, 0.5, 0.5),
                    new BestModel.Scoring("validation", "lab 1.1.0", 1, other -> {
                        throw new AssertionError("C1's network cannot be read");
                    }))).isFalse();
            assertThat(BestCheckpoint.parseFrom(blobs.get(ObjectKeys.BEST_MODEL)).getCheckpoint().getStep()).isEqualTo(900);

            // once C1's network can be read, it is served
            blobs.put(c1.getCheckpointKey(), net.toBytes(), "application/zip");
            Thread.sleep(5100);
            assertThat(best.current()).map(loaded -> loaded.best().getCheckpoint().getStep()).contains(900L);
        }
    }

    @Test
    void anUndefinedScoreNeverWins() {
        assertThat(BestModel.beats(Double.NaN, 0.1, "validation", current)).isFalse();
    }

    /** An evaluation whose overall_mean is {@code right} of 10 frames with a tip. */
    private static CheckpointEvaluator.Evaluation scoring(int right, double loss) {
        TipMetrics metrics = new TipMetrics(0.5);
        for (int i = 0; i < 10; i++) {
            metrics.add(true, 100, 100, new TipPrediction(0.9, i < right ? 101 : 300, 100));
        }
        return new CheckpointEvaluator.Evaluation(metrics, loss, 0.5, 0.5);
    }

    @Test
    void aBestScoredOnAnotherVersionsFramesIsScoredAgainOnTheOffersBeforeTheyAreCompared(@TempDir Path dir)
            throws Exception {
        // review R10: C1's 0.9 on the 10 validation frames of lab 1.0.0 used to be compared with C2's
        // 0.8 on the 40 of lab 1.1.0, so a best chosen on an early, small split stayed best forever
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            TipNet net = TipNet.build(TipNetConfig.standard());
            CheckpointReady c1 = CheckpointReady.newBuilder().setRunId("r10").setStep(600)
                    .setCheckpointKey("runs/r10/checkpoints/step-000000000600.zip").build();
            blobs.put(c1.getCheckpointKey(), net.toBytes(), "application/zip");
            BestModel best = new BestModel(blobs);
            best.load(null);
            assertThat(best.offer(c1, net, scoring(9, 1.0), new BestModel.Scoring("validation", "lab 1.0.0", 10,
                    other -> {
                        throw new AssertionError("no best to score again yet");
                    }))).isTrue();

            // C1 scores 0.7 on lab 1.1.0's frames: C2's 0.8 there wins
            java.util.concurrent.atomic.AtomicInteger scoredAgain = new java.util.concurrent.atomic.AtomicInteger();
            CheckpointReady c2 = c1.toBuilder().setStep(1200).setCheckpointKey("runs/r10/checkpoints/step-1200.zip")
                    .build();
            blobs.put(c2.getCheckpointKey(), net.toBytes(), "application/zip");
            assertThat(best.offer(c2, net, scoring(8, 1.0), new BestModel.Scoring("validation", "lab 1.1.0", 40,
                    other -> {
                        scoredAgain.incrementAndGet();
                        return scoring(7, 1.0);
                    }))).isTrue();
            assertThat(scoredAgain).hasValue(1);
            BestCheckpoint stored = BestCheckpoint.parseFrom(blobs.get(ObjectKeys.BEST_MODEL));
            assertThat(stored.getCheckpoint().getStep()).isEqualTo(1200);
            assertThat(stored.getDatasetVersion()).isEqualTo("lab 1.1.0");
            assertThat(stored.getEvalSamples()).isEqualTo(40);

            // on the same frames nothing is scored again: C3's 0.75 loses to C2's 0.8
            CheckpointReady c3 = c1.toBuilder().setStep(1800).build();
            assertThat(best.offer(c3, net, scoring(7, 0.1), new BestModel.Scoring("validation", "lab 1.1.0", 40,
                    other -> {
                        throw new AssertionError("C2 was scored on these frames");
                    }))).isFalse();

            // on lab 1.2.0's frames C2 scores 0.9 again: it stays best, with that score, against C4's 0.85
            CheckpointReady c4 = c1.toBuilder().setStep(2400).build();
            assertThat(best.offer(c4, net, scoring(8, 0.1), new BestModel.Scoring("validation", "lab 1.2.0", 60,
                    other -> scoring(9, 2.0)))).isFalse();
            stored = BestCheckpoint.parseFrom(blobs.get(ObjectKeys.BEST_MODEL));
            assertThat(stored.getCheckpoint().getStep()).isEqualTo(1200);
            assertThat(stored.getOverallMean()).isEqualTo(0.9);
            assertThat(stored.getDatasetVersion()).isEqualTo("lab 1.2.0");
            assertThat(best.current()).map(loaded -> loaded.best().getOverallMean()).contains(0.9);
        }
    }

    @Test
    void twoEvalsOfferingOneAfterTheOtherEndAtTheBetterWhateverTheOrder(@TempDir Path dir) throws Exception {
        // review R10: each eval compared with its own copy of the best, so the last writer won
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            TipNet net = TipNet.build(TipNetConfig.standard());
            for (boolean betterFirst : new boolean[] {true, false}) {
                blobs.delete(ObjectKeys.BEST_MODEL);
                BestModel a = new BestModel(blobs);
                BestModel b = new BestModel(blobs);
                a.load(null);
                b.load(null);
                CheckpointReady better = CheckpointReady.newBuilder().setRunId("r10-a").setStep(900).build();
                CheckpointReady worse = CheckpointReady.newBuilder().setRunId("r10-b").setStep(900).build();
                BestModel.Scoring on = new BestModel.Scoring("validation", "lab 1.0.0", 10, other -> {
                    throw new AssertionError("both are scored on the same frames");
                });
                if (betterFirst) {
                    assertThat(a.offer(better, net, scoring(9, 1.0), on)).isTrue();
                    assertThat(b.offer(worse, net, scoring(8, 1.0), on)).isFalse();
                } else {
                    assertThat(b.offer(worse, net, scoring(8, 1.0), on)).isTrue();
                    assertThat(a.offer(better, net, scoring(9, 1.0), on)).isTrue();
                }
                BestCheckpoint stored = BestCheckpoint.parseFrom(blobs.get(ObjectKeys.BEST_MODEL));
                assertThat(stored.getCheckpoint().getRunId()).as("better offered first: %s", betterFirst)
                        .isEqualTo("r10-a");
                assertThat(stored.getOverallMean()).isEqualTo(0.9);
            }
        }
    }
}
