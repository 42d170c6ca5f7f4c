package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The names that go into object keys and metric series: plain names only, never a path. */
class PlainNameTest {
    @Test
    void plainNamesPass() {
        assertThat(PlainName.problem("run id", "run-20261206-145633")).isEmpty();
        assertThat(PlainName.problem("run id", "a.b_c-1")).isEmpty();
        assertThat(PlainName.require("run id", "r" + "x".repeat(199))).hasSize(200);
    }

    @Test
    void pathsAndOddNamesAreRefusedWithTheReason() {
        for (String bad : new String[] {"../models", "a/b", "a\\b", "..", "a..b", "-a", ".hidden", "a b", "r\u0000",
            "x".repeat(201), "ünïcode"}) {
            assertThat(PlainName.problem("run id", bad)).as(bad).hasValueSatisfying(reason -> assertThat(reason)
                    .startsWith("run id '").contains("is not a plain name"));
        }
        assertThat(PlainName.problem("run id", "")).contains("run id is empty");
        assertThat(PlainName.problem("run id", null)).contains("run id is empty");
        assertThatThrownBy(() -> PlainName.require("capture id", "a/b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("capture id 'a/b' is not a plain name");
        // control characters never reach a log line or an error as they are
        assertThat(PlainName.problem("run id", "r\n\u001b[2J")).hasValueSatisfying(reason ->
                assertThat(reason).doesNotContain("\n").doesNotContain("\u001b").contains("r??[2J"));
    }

    @Test
    void aMetricSeriesIsARunIdOptionallyFollowedByAPlainName() {
        assertThat(PlainName.seriesProblem("run-1")).isEmpty();
        assertThat(PlainName.seriesProblem("run-1/train")).isEmpty();
        assertThat(PlainName.seriesProblem("run-1/eval")).isEmpty();
        assertThat(PlainName.seriesProblem("../../models/x/eval")).contains(
                "run id '..' is not a plain name (letters, digits, '.', '_', '-'; no path separators; at most 200 characters)");
        assertThat(PlainName.seriesProblem("run-1/eval/../x")).hasValueSatisfying(reason ->
                assertThat(reason).startsWith("series of run run-1 'eval/../x' is not a plain name"));
        assertThat(PlainName.seriesProblem("run-1/")).contains("series of run run-1 is empty");
        assertThat(PlainName.seriesProblem(null)).contains("run id is empty");
    }
}
