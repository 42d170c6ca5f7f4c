package tipstream.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CodeVersionTest {
    @Test
    void aVersionBuiltFromAGitCheckoutRecordsGitDescribeOfIt() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("..", ".git")), "built from a git checkout");
        Process git = new ProcessBuilder("git", "describe", "--always", "--dirty=-dirty").directory(Path.of("..").toFile())
                .redirectErrorStream(true).start();
        String describe = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assumeTrue(git.waitFor() == 0, "git is installed");
        // the working tree may have changed since the build wrote git.properties: compare the commit part
        String recorded = CodeVersion.of("9.9.9");
        assertThat(recorded).startsWith("augment-service ").doesNotContain("9.9.9");
        assertThat(recorded.replace("-dirty", "")).isEqualTo("augment-service " + describe.replace("-dirty", ""));
    }

    @Test
    void withoutGitHistoryTheApplicationsVersionStands() {
        Properties git = new Properties();
        assertThat(CodeVersion.of("1.2.3", git)).isEqualTo("augment-service 1.2.3");
        git.setProperty(CodeVersion.DESCRIBE, " ");
        assertThat(CodeVersion.of("1.2.3", git)).isEqualTo("augment-service 1.2.3");
        git.setProperty(CodeVersion.DESCRIBE, "v0.3-12-g6e449e0-dirty");
        assertThat(CodeVersion.of("1.2.3", git)).isEqualTo("augment-service v0.3-12-g6e449e0-dirty");
    }
}
