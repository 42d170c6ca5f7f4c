package tipstream.bench;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.Shard;
import tipstream.v1.DatasetSample;
import tipstream.v1.FrameRef;

/**
 * A copy of a stored dataset version whose samples carry their original, full-size frames instead
 * of the input-size ones (unaugmented samples only, as the trainer's own random augmentation
 * expects), for trying full-size inputs with {@code ModelQualityBenchmark --dataset}:
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.FullSizeDataset \
 *   .devstack/s3/tipstream/datasets/lab/VERSION /tmp/full-size
 * </pre>
 * Each frame is found through ingest's index in the same S3 folder ({@code index/frames/CAPTURE/NAME}
 * holds its FrameRef, which names the blob).
 */
public final class FullSizeDataset {
    public static void main(String[] args) throws Exception {
        Path version = Path.of(args[0]);
        Path bucket = version.toAbsolutePath().getParent().getParent().getParent();
        Path out = Path.of(args[1]);
        for (String split : List.of("train", "validation", "eval")) {
            List<DatasetSample> samples = new ArrayList<>();
            for (DatasetSample sample : StoredDataset.samples(version, split)) {
                if (!sample.getAugmentation().isEmpty()) {
                    continue;
                }
                FrameRef ref = FrameRef.parseFrom(Files.readAllBytes(
                        bucket.resolve(ObjectKeys.FRAME_INDEX + sample.getCaptureId() + "/" + sample.getFrameName())));
                samples.add(sample.toBuilder().setPng(ByteString.copyFrom(Files.readAllBytes(
                        bucket.resolve(ref.getBlobKey())))).build());
            }
            Files.createDirectories(out.resolve(split));
            Files.write(out.resolve(split).resolve("shard-00000.tshard"), Shard.write(samples));
            System.out.printf("%s: %d samples%n", split, samples.size());
        }
    }
}
