package tipstream.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.augment.Augmentation;
import tipstream.augment.DatasetAssembler;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameResize;
import tipstream.dataset.PngFrameCodec;

/**
 * Augment's dataset build in memory (no Kafka, no S3): frames in per second, each train frame
 * becoming the original plus one sample per augmentation, all at the model's input size as PNG.
 * The peer is the floor of the same work without augmenting: decode each frame once, then
 * resize and PNG-encode it as many times as the build makes samples from it. Then the next version
 * with one more capture, built against the first (review R7: only the new capture's shards are
 * built), against the full build of the same frames.
 */
@Command(name = "AugmentBenchmark", mixinStandardHelpOptions = true)
public final class AugmentBenchmark implements Callable<Integer> {
    @Option(names = "--frames", defaultValue = "120", description = "frames per round")
    int frames;

    @Option(names = "--captures", defaultValue = "3", description = "captures the frames are spread over")
    int captures;

    @Option(names = "--rounds", defaultValue = "3")
    int rounds;

    @Option(names = "--input-width", defaultValue = "528", description = "the size samples are stored at (augment's default)")
    int inputWidth;

    @Option(names = "--input-height", defaultValue = "406")
    int inputHeight;

    @Option(names = "--baked", defaultValue = "all", description = "baked augmentations: all, or none (augment's default,"
            + " the main job's: one sample per frame)")
    String baked;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AugmentBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<SimulatedCapture> session = LabSession.render(7, captures + 1, frames / captures);
        List<SimulatedCapture> oneMore = session.subList(captures, captures + 1);
        session = session.subList(0, captures);
        Map<String, byte[]> blobs = new HashMap<>();
        List<DatasetAssembler.LabelledFrame> labelled = SimulatedFrames.labelled(session, blobs);
        List<Augmentation> all = SimulatedFrames.baked(baked);
        // every capture in train: every frame gets all augmentations
        DatasetAssembler assembler = new DatasetAssembler("bench", new CaptureSplit(0, "bench"), all, FrameFormat.LAB_CAMERA,
                inputWidth, inputHeight, 256, "bench");
        int samplesPerFrame = 1 + all.size();
        double[] build = new double[rounds];
        double[] floor = new double[rounds];
        long samples = 0;
        assembler.assemble(labelled.subList(0, 6), blobs::get, Optional.empty(), NOWHERE); // warm-up: OpenCV, JIT
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            samples = assembler.assemble(labelled, blobs::get, Optional.empty(), NOWHERE).orElseThrow().manifest()
                    .getShardsList().stream().mapToLong(s -> s.getSampleCount()).sum();
            build[r] = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            for (byte[] png : blobs.values()) {
                BufferedImage frame = ImageIO.read(new ByteArrayInputStream(png));
                for (int i = 0; i < samplesPerFrame; i++) {
                    PngFrameCodec.encode(FrameResize.to(frame, inputWidth, inputHeight));
                }
            }
            floor[r] = (System.nanoTime() - t0) / 1e9;
        }
        double buildMedian = median(build);
        double floorMedian = median(floor);
        System.out.printf(Locale.ROOT, "%d frames -> %d samples (%d augmentations each), %d rounds%n",
                labelled.size(), samples, all.size(), rounds);
        System.out.printf(Locale.ROOT, "augment build: median %.2f s, %.1f frames/s, %.0f samples/s (rounds %s)%n",
                buildMedian, labelled.size() / buildMedian, samples / buildMedian, Arrays.toString(build));
        System.out.printf(Locale.ROOT, "floor (decode + resize + PNG encode only): median %.2f s, %.1f frames/s%n",
                floorMedian, labelled.size() / floorMedian);
        System.out.printf(Locale.ROOT, "build / floor throughput: %.2f%n", floorMedian / buildMedian);

        var first = assembler.assemble(labelled, blobs::get, Optional.empty(), NOWHERE).orElseThrow().manifest();
        List<DatasetAssembler.LabelledFrame> grown = new ArrayList<>(labelled);
        grown.addAll(SimulatedFrames.labelled(oneMore, blobs));
        long t0 = System.nanoTime();
        var next = assembler.assemble(grown, blobs::get, Optional.of(first), NOWHERE).orElseThrow();
        double incremental = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        var full = assembler.assemble(grown, blobs::get, Optional.empty(), NOWHERE).orElseThrow();
        double rebuilt = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "one capture added: %s built %d of %d shards in %.2f s; a full build of the same"
                + " frames %d shards in %.2f s (%.1fx)%n", next.manifest().getVersion(), next.shardsBuilt(),
                next.manifest().getShardsCount(), incremental, full.shardsBuilt(), rebuilt, rebuilt / incremental);
        return 0;
    }

    /** The benchmark keeps no shard. */
    private static final BiConsumer<String, byte[]> NOWHERE = (key, bytes) -> { };

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
