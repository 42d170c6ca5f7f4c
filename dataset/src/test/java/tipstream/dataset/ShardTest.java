package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import tipstream.v1.DatasetSample;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;

class ShardTest {
    private static List<DatasetSample> samples(int n) {
        List<DatasetSample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DatasetSample.Builder s = DatasetSample.newBuilder().setCaptureId("cap").setFrameName("f" + i + ".png")
                    .setPng(ByteString.copyFrom(new byte[300 + i])).setVisible(i % 2 == 0).setLabelRevision(i);
            if (i % 2 == 0) {
                s.setTip(Point.newBuilder().setX(i).setY(2 * i));
            }
            samples.add(s.build());
        }
        return samples;
    }

    @Test
    void roundTripKeepsEverySampleInOrder() throws Exception {
        List<DatasetSample> written = samples(25);
        assertThat(Shard.read(Shard.write(written))).isEqualTo(written);
        assertThat(Shard.read(Shard.write(List.of()))).isEmpty();
    }

    @Test
    void sameSamplesGiveTheSameBytesAndHash() {
        assertThat(Sha256.hex(Shard.write(samples(5)))).isEqualTo(Sha256.hex(Shard.write(samples(5))));
    }

    @Test
    void brokenShardsAreRefusedWithReasons() {
        byte[] good = Shard.write(samples(5));
        assertThatThrownBy(() -> Shard.read("PK\u0003\u0004 not a shard".getBytes()))
                .isInstanceOf(Shard.CorruptShardException.class).hasMessageContaining("magic");
        assertThatThrownBy(() -> Shard.read(Arrays.copyOf(good, good.length - 10)))
                .isInstanceOf(Shard.CorruptShardException.class).hasMessageContaining("truncated");
        byte[] garbage = good.clone();
        for (int i = 8; i < 20; i++) {
            garbage[i] = (byte) 0xff;
        }
        assertThatThrownBy(() -> Shard.read(garbage)).isInstanceOf(Shard.CorruptShardException.class);
    }

    @Test
    void aShardThatStillParsesButIsNotTheOneTheManifestNamedIsRefused() throws Exception {
        byte[] good = Shard.write(samples(5));
        ShardEntry entry = Shard.entry("datasets/lab/1.0.0/eval/shard-00000.tshard", "eval", 5, good);
        assertThat(entry.getSha256()).isEqualTo(Sha256.hex(good));
        Shard.requireIntact(entry, good);
        byte[] other = Shard.write(samples(4)); // a valid shard, just not this one
        assertThat(Shard.read(other)).hasSize(4);
        assertThatThrownBy(() -> Shard.requireIntact(entry, other)).isInstanceOf(Shard.CorruptShardException.class)
                .hasMessage("shard datasets/lab/1.0.0/eval/shard-00000.tshard is damaged: its sha256 is "
                        + Sha256.hex(other) + ", its manifest says " + Sha256.hex(good));
    }
}
