package tipstream.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import tipstream.dataset.RandomAugmentation;
import tipstream.model.TipEncoding;
import tipstream.model.TipNetConfig;
import tipstream.model.TipRefiner;
import tipstream.trainer.PrefetchingLoader;
import tipstream.trainer.TrainingBatch;

/**
 * What the training loader costs alone: batches of the heatmap preset drawn from a dataset's train
 * shards on disk as fast as the loader makes them, with the process's CPU seconds per batch; with
 * four arguments, each part of drawing one sample timed alone instead.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.LoaderProbe DATASET_VERSION [batches [cache MB [parts]]]
 * </pre>
 */
public final class LoaderProbe {
    public static void main(String[] args) throws Exception {
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        List<String> keys = StoredDataset.shards(Path.of(args[0]), "train").stream().map(Path::toString).toList();
        TipNetConfig config = TipNetConfig.heatmap();
        TipEncoding encoding = config.encoding(528, 406);
        TipNetConfig crop = TipRefiner.shape(config);
        Optional<TipEncoding> cropEncoding = Optional.of(crop.encoding(crop.inputWidth(), crop.inputHeight()));
        if (args.length > 3) {
            parts(keys, config, encoding, crop);
            return;
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (PrefetchingLoader loader = new PrefetchingLoader(key -> Files.readAllBytes(Path.of(key)), keys, encoding,
                cropEncoding, Optional.of(new RandomAugmentation(RandomAugmentation.standard())), config.inputHeight(),
                config.inputWidth(), 16, 1, 4, 2, args.length > 2 ? Long.parseLong(args[2]) << 20 : 0, 0, 0, 1000)) {
            for (int round = 0; round < 3; round++) {
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    TrainingBatch batch = loader.next();
                    batch.input().close();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                System.out.printf(Locale.ROOT, "round %d: %d batches in %.1f s = %.1f batches/s, %.1f ms CPU a batch%n",
                        round, batches, seconds, batches / seconds, cpu * 1000 / batches);
            }
        }
    }

    /** Each step of drawing a sample timed alone, on one thread. */
    private static void parts(List<String> keys, TipNetConfig config, TipEncoding encoding, TipNetConfig crop)
            throws Exception {
        List<tipstream.v1.DatasetSample> samples = new java.util.ArrayList<>();
        for (String key : keys.subList(0, Math.min(keys.size(), 120))) {
            samples.addAll(tipstream.dataset.Shard.read(Files.readAllBytes(Path.of(key))));
        }
        RandomAugmentation augmentation = new RandomAugmentation(RandomAugmentation.standard());
        java.util.Random random = new java.util.Random(1);
        for (int round = 0; round < 3; round++) {
            long decode = 0, resize = 0, augment = 0, cut = 0;
            for (tipstream.v1.DatasetSample s : samples) {
                long t0 = System.nanoTime();
                java.awt.image.BufferedImage image = tipstream.dataset.PngFrameCodec.decodeStored(s.getPng().toByteArray());
                long t1 = System.nanoTime();
                java.awt.image.BufferedImage small = tipstream.dataset.FrameResize.to(image, config.inputWidth(),
                        config.inputHeight());
                long t2 = System.nanoTime();
                augmentation.apply(small, s.getVisible(), s.getTip().getX(), s.getTip().getY(), 528, 406, random);
                long t3 = System.nanoTime();
                TipRefiner.draw(image, s.getVisible(), s.getTip().getX(), s.getTip().getY(), 528, 406,
                        crop.inputWidth(), Optional.of(augmentation), random);
                long t4 = System.nanoTime();
                decode += t1 - t0;
                resize += t2 - t1;
                augment += t3 - t2;
                cut += t4 - t3;
            }
            int n = samples.size();
            System.out.printf(Locale.ROOT, "%d samples, ms each: decode %.2f, resize %.2f, augment %.2f, crop %.2f%n",
                    n, decode / 1e6 / n, resize / 1e6 / n, augment / 1e6 / n, cut / 1e6 / n);
        }
    }
}
