package tipstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.Shard;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DatasetSample;

/**
 * A dataset version as the embedded S3 keeps it on disk (each object a file under the bucket's
 * folder, e.g. {@code .devstack/s3/tipstream/datasets/lab/1.9.0}): one split's samples, read
 * through the version's manifest (its shards live under {@code datasets/<name>/shards/}), or from
 * the split's own folder in versions from before that layout and in copies of them.
 */
final class StoredDataset {
    private StoredDataset() {
    }

    static List<DatasetSample> samples(Path version, String split) throws Exception {
        List<DatasetSample> samples = new ArrayList<>();
        for (Path shard : shards(version, split)) {
            samples.addAll(Shard.read(Files.readAllBytes(shard)));
        }
        return samples;
    }

    /** The files of one split's shards. */
    static List<Path> shards(Path version, String split) throws Exception {
        List<Path> shards;
        Path folder = version.resolve(split);
        if (Files.isDirectory(folder)) {
            try (var files = Files.list(folder)) {
                shards = files.sorted().toList();
            }
        } else {
            DatasetManifest manifest = ManifestCodec.fromJson(Files.readAllBytes(version.resolve("manifest.json")));
            Path bucket = version.toAbsolutePath().getParent().getParent().getParent(); // <bucket>/datasets/<name>/<version>
            shards = manifest.getShardsList().stream().filter(entry -> entry.getSplit().equals(split))
                    .map(entry -> bucket.resolve(entry.getKey())).toList();
        }
        return shards;
    }
}
