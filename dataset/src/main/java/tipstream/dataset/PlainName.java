package tipstream.dataset;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one rule for a name that goes into object keys, Kafka keys and metric series (frame names,
 * capture ids, run ids): letters, digits, '.', '_' and '-', starting with a letter or a digit, no
 * "..", at most 200 characters. Never a path, so no name can reach another one's objects.
 */
public final class PlainName {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    private PlainName() {
    }

    /** Why {@code value} is not a plain name (the reason names it as {@code what}), or empty when it is one. */
    public static Optional<String> problem(String what, String value) {
        if (value == null || value.isEmpty()) {
            return Optional.of(what + " is empty");
        }
        if (!SAFE.matcher(value).matches() || value.contains("..")) {
            return Optional.of(what + " '" + printable(value)
                    + "' is not a plain name (letters, digits, '.', '_', '-'; no path separators; at most 200 characters)");
        }
        return Optional.empty();
    }

    /** {@code value}, when it is a plain name; else an {@link IllegalArgumentException} with the reason. */
    public static String require(String what, String value) {
        problem(what, value).ifPresent(reason -> {
            throw new IllegalArgumentException(reason);
        });
        return value;
    }

    /**
     * Why {@code series} is not a run's metric series, or empty when it is one: a run id, or a run id
     * and the series' plain name after a '/' ({@code run-1/train}, {@code run-1/eval}).
     */
    public static Optional<String> seriesProblem(String series) {
        int slash = series == null ? -1 : series.indexOf('/');
        if (slash < 0) {
            return problem("run id", series);
        }
        return problem("run id", series.substring(0, slash))
                .or(() -> problem("series of run " + series.substring(0, slash), series.substring(slash + 1)));
    }

    /** At most 80 characters of {@code s}, control characters shown as '?': safe to put in a log line or an error. */
    public static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
