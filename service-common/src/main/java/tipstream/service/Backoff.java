package tipstream.service;

/**
 * The pause before trying one thing again: doubling from {@code firstMillis} with each failure in a
 * row, never over {@code maxMillis}, so that a store that is away is neither hammered nor left
 * unasked for long. One instance per thing retried; {@link #reset} once it succeeds.
 */
public final class Backoff {
    private final long firstMillis;
    private final long maxMillis;
    private int failures;

    public Backoff(long firstMillis, long maxMillis) {
        if (firstMillis <= 0 || maxMillis < firstMillis) {
            throw new IllegalArgumentException("backoff from " + firstMillis + " ms up to " + maxMillis + " ms");
        }
        this.firstMillis = firstMillis;
        this.maxMillis = maxMillis;
    }

    /** Counts a failure and returns the pause before the next try. */
    public long failed() {
        failures++;
        int doublings = Math.min(failures - 1, 62);
        return firstMillis > (maxMillis >> doublings) ? maxMillis : Math.min(maxMillis, firstMillis << doublings);
    }

    /** Failures in a row so far. */
    public int failures() {
        return failures;
    }

    public void reset() {
        failures = 0;
    }
}
