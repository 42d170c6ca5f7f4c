package tipstream.dataset;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A dataset's semantic version: MAJOR when the sample representation changes (input size, label
 * meaning), MINOR when captures are added, PATCH when labels are corrected.
 */
public record DatasetVersion(int major, int minor, int patch) implements Comparable<DatasetVersion> {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,6})\\.(\\d{1,6})\\.(\\d{1,6})");

    public static DatasetVersion parse(String text) {
        Matcher m = FORMAT.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + PlainName.printable(String.valueOf(text))
                    + "' is not a MAJOR.MINOR.PATCH version");
        }
        return new DatasetVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)));
    }

    public DatasetVersion representationChanged() {
        return new DatasetVersion(major + 1, 0, 0);
    }

    /** Whether samples of both versions mean the same (same MAJOR): a running trainer may move to it. */
    public boolean sameRepresentationAs(DatasetVersion other) {
        return major == other.major;
    }

    public DatasetVersion capturesAdded() {
        return new DatasetVersion(major, minor + 1, 0);
    }

    public DatasetVersion labelsCorrected() {
        return new DatasetVersion(major, minor, patch + 1);
    }

    @Override
    public int compareTo(DatasetVersion o) {
        return major != o.major ? Integer.compare(major, o.major)
                : minor != o.minor ? Integer.compare(minor, o.minor) : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
