package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** When a consuming thread counts as alive (review R13: one that died left the service up and idle). */
class ConsumersLivenessCheckTest {
    @Test
    void aThreadThatEndedWhileTheServiceRunsIsDown() throws Exception {
        Thread ended = new Thread(() -> {
            throw new IllegalStateException("an unexpected failure in the loop");
        });
        ended.setUncaughtExceptionHandler((t, e) -> { });
        ended.start();
        ended.join();
        assertThat(ConsumersLivenessCheck.consuming(ended, false)).isFalse();
        assertThat(ConsumersLivenessCheck.consuming(ended, true)).as("ended because the service stops").isTrue();
    }

    @Test
    void aRunningOrNotYetStartedThreadIsUp() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread running = new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        running.start();
        try {
            assertThat(ConsumersLivenessCheck.consuming(running, false)).isTrue();
        } finally {
            release.countDown();
            running.join();
        }
        assertThat(ConsumersLivenessCheck.consuming(null, false)).isTrue();
    }
}
