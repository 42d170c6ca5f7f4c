package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tipstream.v1.DatasetManifest;

/** Which dataset version a run starts on, new or resumed (review R24: a restart moved it onto a new MAJOR). */
class StartingVersionTest {
    private static DatasetManifest version(String version) {
        return DatasetManifest.newBuilder().setDataset("lab").setVersion(version).build();
    }

    private static TrainerService.Manifests stored(String... versions) {
        Map<String, DatasetManifest> manifests = new HashMap<>();
        for (String v : versions) {
            manifests.put(v, version(v));
        }
        return v -> Optional.ofNullable(manifests.get(v));
    }

    @Test
    void aNewRunStartsOnTheLatestVersion() throws Exception {
        assertThat(TrainerService.startingVersion(Optional.empty(), version("2.0.0"), stored("1.0.0", "2.0.0"))
                .getVersion()).isEqualTo("2.0.0");
    }

    @Test
    void aResumedRunGoesOnWithTheVersionItsCheckpointTrainedOn() throws Exception {
        // a new MAJOR since: the run stays (the loop only logs it); a new MINOR: it joins at the next epoch
        assertThat(TrainerService.startingVersion(Optional.of("1.0.0"), version("2.0.0"), stored("1.0.0", "2.0.0"))
                .getVersion()).isEqualTo("1.0.0");
        assertThat(TrainerService.startingVersion(Optional.of("1.0.0"), version("1.1.0"), stored("1.0.0", "1.1.0"))
                .getVersion()).isEqualTo("1.0.0");
        assertThat(TrainerService.startingVersion(Optional.of("1.1.0"), version("1.1.0"), stored())
                .getVersion()).isEqualTo("1.1.0");
    }

    @Test
    void aResumedRunWhoseVersionIsGoneTakesTheLatestOnlyWhenItMeansTheSame() throws Exception {
        assertThat(TrainerService.startingVersion(Optional.of("1.0.0"), version("1.2.1"), stored("1.2.1"))
                .getVersion()).isEqualTo("1.2.1");
        assertThatThrownBy(() -> TrainerService.startingVersion(Optional.of("1.0.0"), version("2.0.0"), stored("2.0.0")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("trained on dataset version 1.0.0, whose manifest is gone")
                .hasMessageContaining("start a new run");
    }
}
