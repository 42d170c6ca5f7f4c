package tipstream.augment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The code a dataset version was built by (review R22): {@code git describe} of the checkout this
 * service was built from ({@code git.properties}, written by the build), or the application's
 * version when it was built without git history (a source archive).
 */
final class CodeVersion {
    static final String RESOURCE = "/git.properties";
    static final String DESCRIBE = "git.commit.id.describe";

    private CodeVersion() {
    }

    static String of(String applicationVersion) {
        try (InputStream in = CodeVersion.class.getResourceAsStream(RESOURCE)) {
            Properties git = new Properties();
            if (in != null) {
                git.load(in);
            }
            return of(applicationVersion, git);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** From the build's git properties; without a describe in them, the application's version. */
    static String of(String applicationVersion, Properties git) {
        String describe = git.getProperty(DESCRIBE, "").strip();
        return "augment-service " + (describe.isEmpty() ? applicationVersion : describe);
    }
}
