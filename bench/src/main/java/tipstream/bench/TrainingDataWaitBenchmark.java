package tipstream.bench;

import com.google.protobuf.ByteString;
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
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.Shard;
import tipstream.dataset.WriterFence;
import tipstream.devstack.DevStack;
import tipstream.devstack.LocalPlatform;
import tipstream.model.TipNetConfig;
import tipstream.trainer.LearningRateSchedule;
import tipstream.trainer.TrainingBudget;
import tipstream.trainer.TrainingRun;
import tipstream.v1.DatasetSample;
import tipstream.v1.Point;
import tipstream.v1.ShardEntry;

/**
 * Training from shards in the real S3 server through the prefetching loader, as the trainer trains
 * (the standard network and its refiner, fresh random augmentation, the trainer's default queue,
 * decoding threads and frame cache), with nothing else running: images/s and the share of step time
 * the step waited for data. Shards hold simulated frames at full size (528 x 406 PNG), as augment
 * writes them, four frames a capture, each capture in a room of its own, as the main job renders them. No
 * checkpoints are written, so the first stage's confusers are not looked up as the trainer does at each.
 */
@Command(name = "TrainingDataWaitBenchmark", mixinStandardHelpOptions = true)
public final class TrainingDataWaitBenchmark implements Callable<Integer> {
    @Option(names = "--frames", defaultValue = "1600", description = "simulated frames in the dataset")
    int frames;

    @Option(names = "--steps", defaultValue = "1500")
    int steps;

    @Option(names = "--batch", defaultValue = "" + LocalPlatform.BATCH,
            description = "training batch (the trainer's default)")
    int batch;

    @Option(names = "--decode-threads", defaultValue = "2",
            description = "the loader's threads (the trainer's default)")
    int decodeThreads;

    @Option(names = "--prefetch-batches", defaultValue = "4",
            description = "the loader's queue (the trainer's default)")
    int prefetchBatches;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainingDataWaitBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        TipNetConfig config = TipNetConfig.standard();
        Path dir = Files.createTempDirectory("tipstream-bench-train-");
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            List<ShardEntry> shards = writeShards(blobs, LabSession.render(5, frames / 4, 4));
            String runId = "bench-" + System.currentTimeMillis();
            TrainingRun.Settings settings = new TrainingRun.Settings(runId, "bench",
                    config, Optional.of(new RandomAugmentation(RandomAugmentation.standard())), 528, 406, batch,
                    1_000_000, 1, 1_000_000, prefetchBatches, decodeThreads, 512L << 20,
                    LearningRateSchedule.constant(1e-3),
                    TrainingBudget.steps(1_000_000), Integer.MAX_VALUE, TrainingRun.Transfer.NONE);
            try (TrainingRun run = TrainingRun.startOrResume(settings, blobs,
                    WriterFence.open(stack.kafkaBootstrapServers(), WriterFence.trainerOf(runId)), shards, "1.0.0")) {
                run.trainUntil(100, b -> { }); // warm-up: JIT, oneDNN kernels, every shard decoded once
                double waitBefore = run.dataWaitSeconds();
                long t0 = System.nanoTime();
                run.trainUntil(100 + steps, b -> { });
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

    private static List<ShardEntry> writeShards(BlobStore blobs, List<SimulatedCapture> session) {
        List<ShardEntry> shards = new ArrayList<>();
        int shard = 0;
        List<DatasetSample> samples = new ArrayList<>();
        for (SimulatedCapture capture : session) {
            for (SimulatedFrame f : capture.frames()) {
                DatasetSample.Builder s = DatasetSample.newBuilder().setCaptureId(capture.captureId())
                        .setFrameName(f.frameName()).setPng(ByteString.copyFrom(PngFrameCodec.encode(f.image())))
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
