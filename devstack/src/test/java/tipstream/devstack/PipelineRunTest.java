package tipstream.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** ./run.sh's options, checked before anything starts. */
class PipelineRunTest {
    @Test
    void aRunIdThatIsAPathIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
        // the run id names the run's objects in S3 and its metric series
        Path data = dir.resolve("data");
        int code = new CommandLine(new PipelineRun()).execute("--run-id", "../elsewhere", "--data-dir", data.toString());
        assertThat(code).isEqualTo(2);
        assertThat(data).doesNotExist();
    }
}
