package tipstream.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tipstream.dataset.BlobStore;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Shard;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;
import tipstream.v1.ShardEntry;

/**
 * A held-out split (eval or validation) of a dataset version, read from its shards once and kept
 * for the next checkpoints (they usually share a version). Only the last few are kept.
 */
final class EvalSets {
    private static final int KEEP = 4;

    private final BlobStore blobs;
    /** A split's samples, and the frame size their labels are in (the version's manifest records it). */
    record EvalSet(FrameFormat frame, List<DatasetSample> samples) {
    }

    private final Map<String, EvalSet> cache = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, EvalSet> eldest) {
            return size() > KEEP;
        }
    };

    EvalSets(BlobStore blobs) {
        this.blobs = blobs;
    }

    /** The split's samples (none when it has no capture), or empty when the version's manifest is not in S3. */
    synchronized Optional<EvalSet> of(String dataset, String version, String split)
            throws Shard.CorruptShardException, com.google.protobuf.InvalidProtocolBufferException {
        String key = ObjectKeys.manifest(dataset, version);
        String cacheKey = key + "#" + split;
        EvalSet cached = cache.get(cacheKey);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<byte[]> json = blobs.find(key);
        if (json.isEmpty()) {
            return Optional.empty();
        }
        DatasetManifest manifest = ManifestCodec.fromJson(json.get());
        List<DatasetSample> samples = new ArrayList<>();
        for (ShardEntry shard : manifest.getShardsList()) {
            if (shard.getSplit().equals(split)) {
                byte[] bytes = blobs.get(shard.getKey());
                Shard.requireIntact(shard, bytes);
                samples.addAll(Shard.read(bytes));
            }
        }
        EvalSet set = new EvalSet(new FrameFormat(manifest.getFrameWidth(), manifest.getFrameHeight()),
                List.copyOf(samples));
        cache.put(cacheKey, set);
        return Optional.of(set);
    }
}
