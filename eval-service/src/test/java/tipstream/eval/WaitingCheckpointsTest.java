package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class WaitingCheckpointsTest {
    private static final TopicPartition P0 = new TopicPartition("tipstream.checkpoints", 0);
    private static final TopicPartition P1 = new TopicPartition("tipstream.checkpoints", 1);

    private static ConsumerRecord<String, byte[]> record(int partition, long offset) {
        return new ConsumerRecord<>("tipstream.checkpoints", partition, offset, "run", new byte[0]);
    }

    @Test
    void aPartitionNeverCommitsPastACheckpointThatWaits() {
        WaitingCheckpoints waiting = new WaitingCheckpoints();
        assertThat(waiting.committable(P0).offset()).isZero();
        waiting.done(record(0, 4));
        assertThat(waiting.committable(P0).offset()).isEqualTo(5);
        waiting.park(record(0, 5));
        waiting.done(record(0, 6));
        waiting.park(record(0, 7));
        waiting.done(record(1, 2)); // another partition is not held back
        assertThat(waiting.committable(P0).offset()).isEqualTo(5);
        assertThat(waiting.committable(P1).offset()).isEqualTo(3);
        assertThat(waiting.all()).extracting(ConsumerRecord::offset).containsExactly(5L, 7L);

        waiting.done(record(0, 5));
        assertThat(waiting.committable(P0).offset()).isEqualTo(7);
        waiting.done(record(0, 7));
        assertThat(waiting.committable(P0).offset()).isEqualTo(8);
        assertThat(waiting.all()).isEmpty();
    }

    @Test
    void aRevokedPartitionsWaitingCheckpointsAreForgotten() {
        WaitingCheckpoints waiting = new WaitingCheckpoints();
        waiting.park(record(0, 3));
        waiting.park(record(1, 9));
        waiting.forget(List.of(P0));
        assertThat(waiting.all()).extracting(ConsumerRecord::partition).containsExactly(1);
    }
}
