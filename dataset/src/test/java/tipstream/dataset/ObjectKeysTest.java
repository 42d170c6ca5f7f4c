package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The object-key layout the README's "What lands where" documents: stored data outlives the code that wrote it. */
class ObjectKeysTest {
    @Test
    void keysAreLaidOutAsDocumented() {
        String sha = "a".repeat(64);
        assertThat(ObjectKeys.frame(sha)).isEqualTo("frames/" + sha + ".png").startsWith(ObjectKeys.FRAMES);
        assertThat(ObjectKeys.manifest("lab", "1.3.0")).isEqualTo("datasets/lab/1.3.0/manifest.json");
        assertThat(ObjectKeys.latestVersion("lab")).isEqualTo("datasets/lab/latest");
        assertThat(ObjectKeys.captureShards("lab", "f00d")).isEqualTo("datasets/lab/captures/f00d.pb");
        assertThat(ObjectKeys.checkpoint("run-1", 2400)).isEqualTo("runs/run-1/checkpoints/step-000000002400")
                .startsWith(ObjectKeys.checkpoints("run-1")).startsWith(ObjectKeys.run("run-1"));
        assertThat(ObjectKeys.eventFiles("run-1/eval")).isEqualTo("runs/run-1/eval/");
        assertThat(ObjectKeys.worstFrames("run-1")).isEqualTo("runs/run-1/eval_worst/");
    }

    @Test
    void onlyACheckpointsNetworkIsACheckpointKey() {
        assertThat(ObjectKeys.checkpointArchiveProblem(ObjectKeys.checkpoint("run-1", 2400) + ".zip")).isEmpty();
        for (String key : new String[] {"models/best.pb", "runs/run-1/checkpoints/step-000000002400.state",
                "runs/run-1/checkpoints/step-2400.zip", "runs/../checkpoints/step-000000002400.zip",
                "runs/a/../../models/checkpoints/step-000000002400.zip",
                "runs/run-1/checkpoints/step-000000002400.zip/x",
                "/runs/run-1/checkpoints/step-000000002400.zip", ""}) {
            assertThat(ObjectKeys.checkpointArchiveProblem(key)).as(key).hasValueSatisfying(
                    reason -> assertThat(reason).contains("is not a checkpoint's key"));
        }
    }

    @Test
    void shardsAndEncodersAreNamedByTheirContent() {
        byte[] bytes = "shard".getBytes(StandardCharsets.UTF_8);
        String sha = Sha256.hex(bytes);
        assertThat(ObjectKeys.shard("lab", bytes)).isEqualTo("datasets/lab/shards/" + sha + ".tshard")
                .startsWith(ObjectKeys.shards("lab"));
        assertThat(ObjectKeys.encoder(bytes)).isEqualTo("encoders/" + sha + ".zip");
        assertThat(ObjectKeys.shard("lab", "other".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(ObjectKeys.shard("lab", bytes));
    }
}
