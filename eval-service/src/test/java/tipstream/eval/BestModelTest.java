package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
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
            blobs.put(BestModel.KEY, BestCheckpoint.newBuilder().setCheckpoint(c1).setOverallMean(0.9).setLoss(1.0)
                    .setChosenOn("validation").build().toByteArray(), "application/x-protobuf");
            BestModel best = new BestModel(blobs);
            best.load(null); // C1's network is not there (yet)
            assertThat(best.current()).isEmpty();

            TipNet net = TipNet.build(TipNetConfig.standard());
            CheckpointReady c2 = c1.toBuilder().setStep(0).setCheckpointKey("runs/r10/checkpoints/step-000000000000.zip")
                    .build();
            TipMetrics worse = new TipMetrics(0.5);
            worse.add(true, 100, 100, new TipPrediction(0.9, 300, 300)); // overall_mean 0
            assertThat(best.offer(c2, net, new CheckpointEvaluator.Evaluation(worse, 9.0, 0.5, 0.5), "validation", 1))
                    .isFalse();
            assertThat(BestCheckpoint.parseFrom(blobs.get(BestModel.KEY)).getCheckpoint().getStep()).isEqualTo(900);

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
}
