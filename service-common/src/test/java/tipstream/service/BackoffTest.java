package tipstream.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesFromTheFirstPauseUpToTheCapAndStartsOverAfterASuccess() {
        Backoff backoff = new Backoff(5_000, 300_000);
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            pauses.add(backoff.failed());
        }
        assertThat(pauses).containsExactly(5_000L, 10_000L, 20_000L, 40_000L, 80_000L, 160_000L, 300_000L, 300_000L,
                300_000L);
        assertThat(backoff.failures()).isEqualTo(9);
        backoff.reset();
        assertThat(backoff.failures()).isZero();
        assertThat(backoff.failed()).isEqualTo(5_000L);
    }

    @Test
    void aLongRunOfFailuresStaysAtTheCap() {
        Backoff backoff = new Backoff(500, 30_000);
        long last = 0;
        for (int i = 0; i < 200; i++) {
            last = backoff.failed();
        }
        assertThat(last).isEqualTo(30_000L);
    }

    @Test
    void refusesAPauseThatCannotGrowOrStartsAtZero() {
        assertThatThrownBy(() -> new Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(20, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
