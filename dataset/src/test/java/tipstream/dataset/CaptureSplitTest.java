package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CaptureSplitTest {
    @Test
    void stableAndCloseToTheAskedShare() {
        CaptureSplit split = new CaptureSplit(20, "v1");
        int eval = 0;
        for (int i = 0; i < 5000; i++) {
            String capture = "2026112" + (i % 10) + "-OG" + i;
            assertThat(split.splitOf(capture)).isEqualTo(new CaptureSplit(20, "v1").splitOf(capture));
            if (split.splitOf(capture).equals(CaptureSplit.EVAL)) {
                eval++;
            }
        }
        assertThat(eval / 5000.0).isCloseTo(0.20, within(0.02));
    }

    @Test
    void edgesAndKnownAnswer() {
        assertThat(new CaptureSplit(0, "").splitOf("any")).isEqualTo(CaptureSplit.TRAIN);
        assertThat(new CaptureSplit(100, "").splitOf("any")).isEqualTo(CaptureSplit.EVAL);
        // sha256("abc") starts ba7816bf: 0xba7816bf = 3128432319, % 100 = 19
        assertThat(new CaptureSplit(20, "").splitOf("abc")).isEqualTo(CaptureSplit.EVAL);
        assertThat(new CaptureSplit(19, "").splitOf("abc")).isEqualTo(CaptureSplit.TRAIN);
    }
}
