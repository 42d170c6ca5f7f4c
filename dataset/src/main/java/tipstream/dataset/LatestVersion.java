package tipstream.dataset;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;

/**
 * A dataset's {@code latest} pointer ({@link ObjectKeys#latestVersion}), the one place that moves
 * and reads it: augment moves it once a version's manifest is stored and announced; the trainer,
 * eval and the tools read from it which version is the newest.
 */
public final class LatestVersion {
    private LatestVersion() {
    }

    /** The version the pointer names, read with {@code find} (e.g. {@code BlobStore::find}); empty before there is one. */
    public static Optional<String> read(Function<String, Optional<byte[]>> find, String dataset) {
        return find.apply(ObjectKeys.latestVersion(dataset))
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8).trim());
    }

    /** Moves the pointer to {@code version}. */
    public static void move(BlobStore blobs, String dataset, String version) {
        blobs.put(ObjectKeys.latestVersion(dataset), version.getBytes(StandardCharsets.UTF_8), "text/plain");
    }
}
