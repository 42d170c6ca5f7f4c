package tipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `tipstream train`'s options, checked before it looks for the platform. */
class TrainCommandTest {
    @Test
    void aRunIdThatIsAPathIsRefused() {
        // without the check it would look for eval-service and answer 3 (nothing answers) or start a trainer
        assertThat(new CommandLine(new TrainCommand()).execute("--run-id", "runs/../models")).isEqualTo(2);
    }
}
