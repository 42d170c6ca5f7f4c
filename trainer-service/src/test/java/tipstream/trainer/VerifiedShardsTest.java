package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tipstream.dataset.Shard;
import tipstream.v1.ShardEntry;

/** Shards are checked against their manifest's sha256 (the known hashes of "abc" and "abd"). */
class VerifiedShardsTest {
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String ABD = "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9";

    private final Map<String, byte[]> store = new HashMap<>();

    private static ShardEntry entry(String key, String sha256) {
        return ShardEntry.newBuilder().setKey(key).setSplit("train").setSampleCount(1).setSha256(sha256).build();
    }

    @Test
    void intactShardsPassDamagedOnesStopWithTheirNameAndUnknownOnesAreRefused() throws Exception {
        store.put("s/0", "abc".getBytes(StandardCharsets.US_ASCII));
        store.put("s/1", "abd".getBytes(StandardCharsets.US_ASCII));
        VerifiedShards shards = new VerifiedShards(store::get, List.of(entry("s/0", ABC), entry("s/1", ABC)));

        assertThat(shards.fetch("s/0")).asString(StandardCharsets.US_ASCII).isEqualTo("abc");
        assertThatThrownBy(() -> shards.fetch("s/1")).isInstanceOf(Shard.CorruptShardException.class)
                .hasMessage("shard s/1 is damaged: its sha256 is " + ABD + ", its manifest says " + ABC);
        assertThatThrownBy(() -> shards.fetch("s/2")).hasMessageContaining("s/2 is in no manifest");

        shards.expect(List.of(entry("s/2", ABD)));
        store.put("s/2", "abd".getBytes(StandardCharsets.US_ASCII));
        assertThat(shards.fetch("s/2")).asString(StandardCharsets.US_ASCII).isEqualTo("abd");
    }
}
