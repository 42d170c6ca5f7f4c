package tipstream.bench;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.SimulatedCapture;
import tipstream.capturesim.SimulatedFrame;
import tipstream.dataset.BlobStore;
import tipstream.dataset.FrameResize;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.Shard;
import tipstream.dataset.WriterFence;
import tipstream.devstack.DevStack;
import tipstream.model.TipNetConfig;
import tipstream.trainer.LearningRateSchedule;
import tipstream.trainer.TrainingBudget;
import tipstream.trainer.TrainingRun;
import tipstream.v1.DatasetSample;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;

/**
 * Training from shards in the real S3 server through the prefetching loader: images/s and the
 * share of step time the step waited for data. Shards hold simulated frames at the network's
 * input size (264 x 203 PNG), as augment will write them.
 */
@Command(name = "TrainingDataWaitBenchmark", mixinStandardHelpOptions = true)
public final class TrainingDataWaitBenchmark implements Callable<Integer> {
    @Option(names = "--frames", defaultValue = "320", description = "simulated frames in the dataset")
    int frames;

    @Option(names = "--steps", defaultValue = "40")
    int steps;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainingDataWaitBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        TipNetConfig config = TipNetConfig.standard();
        Path dir = Files.createTempDirectory("tipstream-bench-train-");
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, config, LabSession.render(5, 4, frames / 4));
            String runId = "bench-" + System.currentTimeMillis();
            TrainingRun.Settings settings = new TrainingRun.Settings(runId, "bench",
                    config, Optional.of(new RandomAugmentation(RandomAugmentation.standard())), 528, 406, batch, 1_000_000, 1, 1000, 4, 2, 512L << 20, LearningRateSchedule.constant(1e-3),
                    TrainingBudget.steps(1_000_000), Integer.MAX_VALUE, TrainingRun.Transfer.NONE);
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs,
                    WriterFence.open(stack.kafkaBootstrapServers(), WriterFence.trainerOf(runId)), shards, "1.0.0")) {
                run.trainUntil(3, b -> { }); // warm-up: JIT, oneDNN kernels, first shards
                double waitBefore = run.dataWaitSeconds();
                long t0 = System.nanoTime();
                run.trainUntil(3 + steps, b -> { });
                double seconds = (System.nanoTime() - t0) / 1e9;
                double waited = run.dataWaitSeconds() - waitBefore;
                System.out.printf(Locale.ROOT, "%d steps of %d images in %.1f s: %.1f images/s%n", steps, batch,
                        seconds, steps * batch / seconds);
                System.out.printf(Locale.ROOT, "the step waited for data %.2f s, %.1f %% of the time%n", waited,
                        100 * waited / seconds);
            }
        }
        return 0;
    }

    private static List<ShardEntry> writeShards(BlobStore blobs, TipNetConfig config, List<SimulatedCapture> session) {
        List<ShardEntry> shards = new ArrayList<>();
        int shard = 0;
        List<DatasetSample> samples = new ArrayList<>();
        for (SimulatedCapture capture : session) {
            for (SimulatedFrame f : capture.frames()) {
                BufferedImage small = FrameResize.to(f.image(), config.inputWidth(), config.inputHeight());
                DatasetSample.Builder s = DatasetSample.newBuilder().setCaptureId(capture.captureId())
                        .setFrameName(f.frameName()).setPng(ByteString.copyFrom(PngFrameCodec.encode(small)))
                        .setVisible(f.visible());
                if (f.visible()) {
                    s.setTip(Point.newBuilder().setX(f.tipX()).setY(f.tipY()));
                }
                samples.add(s.build());
                if (samples.size() == 64) {
                    shards.add(put(blobs, shard++, samples));
                    samples.clear();
                }
            }
        }
        if (!samples.isEmpty()) {
            shards.add(put(blobs, shard, samples));
        }
        return shards;
    }

    private static ShardEntry put(BlobStore blobs, int index, List<DatasetSample> samples) {
        String key = String.format("datasets/bench/1.0.0/train/shard-%05d.tshard", index);
        byte[] bytes = Shard.write(samples);
        blobs.put(key, bytes, "application/octet-stream");
        return Shard.entry(key, "train", samples.size(), bytes);
    }
}
