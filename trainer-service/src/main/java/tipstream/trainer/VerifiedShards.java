package tipstream.trainer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tipstream.dataset.Shard;
import tipstream.v1.ShardEntry;

/**
 * Shard bytes checked against the sha256 their dataset manifest recorded ({@link
 * Shard#requireIntact}), so that a damaged shard stops the run with its name.
 */
final class VerifiedShards implements ShardSource {
    private final ShardSource store;
    private final Map<String, ShardEntry> entries = new ConcurrentHashMap<>();

    VerifiedShards(ShardSource store, List<ShardEntry> shards) {
        this.store = store;
        expect(shards);
    }

    /** Shards of a newer manifest; shards are immutable, so a key keeps its hash. */
    void expect(List<ShardEntry> shards) {
        shards.forEach(shard -> entries.put(shard.getKey(), shard));
    }

    @Override
    public byte[] fetch(String key) throws Exception {
        ShardEntry entry = entries.get(key);
        if (entry == null) {
            throw new IllegalStateException("shard " + key + " is in no manifest the trainer was given");
        }
        byte[] bytes = store.fetch(key);
        Shard.requireIntact(entry, bytes);
        return bytes;
    }
}
