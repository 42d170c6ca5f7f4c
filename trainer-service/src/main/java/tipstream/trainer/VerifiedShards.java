package tipstream.trainer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tipstream.dataset.Sha256;
import tipstream.v1.ShardEntry;

/**
 * Shard bytes checked against the sha256 their dataset manifest recorded. A shard damaged or
 * replaced in S3 could still parse and would train on wrong samples; this stops the run with the
 * shard's name instead.
 */
final class VerifiedShards implements ShardSource {
    private final ShardSource store;
    private final Map<String, String> sha256ByKey = new ConcurrentHashMap<>();

    VerifiedShards(ShardSource store, List<ShardEntry> shards) {
        this.store = store;
        expect(shards);
    }

    /** Shards of a newer manifest; shards are immutable, so a key keeps its hash. */
    void expect(List<ShardEntry> shards) {
        shards.forEach(shard -> sha256ByKey.put(shard.getKey(), shard.getSha256()));
    }

    @Override
    public byte[] fetch(String key) throws Exception {
        String expected = sha256ByKey.get(key);
        if (expected == null) {
            throw new IllegalStateException("shard " + key + " is in no manifest the trainer was given");
        }
        byte[] bytes = store.fetch(key);
        String actual = Sha256.hex(bytes);
        if (!actual.equals(expected)) {
            throw new IllegalStateException("shard " + key + " is damaged: its sha256 is " + actual
                    + ", its manifest says " + expected);
        }
        return bytes;
    }
}
