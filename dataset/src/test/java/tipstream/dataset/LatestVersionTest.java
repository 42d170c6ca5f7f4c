package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading a dataset's latest pointer (moving it is augment's, tested with the real S3 in AugmentWorkerTest). */
class LatestVersionTest {
    @Test
    void thePointerNamesTheVersionAsPlainTextAtItsKey() {
        Map<String, byte[]> bucket = new HashMap<>();
        assertThat(LatestVersion.read(key -> Optional.ofNullable(bucket.get(key)), "lab")).isEmpty();
        bucket.put("datasets/lab/latest", "1.2.0\n".getBytes(StandardCharsets.UTF_8));
        assertThat(LatestVersion.read(key -> Optional.ofNullable(bucket.get(key)), "lab")).contains("1.2.0");
        assertThat(LatestVersion.read(key -> Optional.ofNullable(bucket.get(key)), "other")).isEmpty();
    }
}
