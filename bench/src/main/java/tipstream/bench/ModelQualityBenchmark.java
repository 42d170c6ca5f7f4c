package tipstream.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.augment.Augmentation;
import tipstream.augment.DatasetAssembler;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.Shard;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.FrameTensor;
import tipstream.model.TipGrid;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.trainer.LearningRateSchedule;
import tipstream.v1.DatasetSample;

/**
 * How well network shapes learn in the same budget: each trains from scratch on the same augmented
 * simulated session (augment's own build, all augmentations) with the trainer's learning-rate
 * schedule, and is evaluated on the same held-out capture every few steps with eval's own
 * evaluator (and on a fixed sample of its training data, to tell under- from over-fitting). The peer
 * is the first configuration in the same run (by default the standard network on the first set).
 */
@Command(name = "ModelQualityBenchmark", mixinStandardHelpOptions = true)
public final class ModelQualityBenchmark implements Callable<Integer> {
    @Option(names = "--net", split = ";", description = "stem:stage,stage,... e.g. 16:32,32,64,64,128 (repeatable)",
            defaultValue = "16:32,32,64,64,128")
    List<String> nets;

    @Option(names = "--train-captures", split = ",", defaultValue = "5",
            description = "training set sizes in captures, each trained from scratch (e.g. 5,20)")
    List<Integer> trainCaptures;

    @Option(names = "--frames", defaultValue = "50", description = "frames per capture")
    int frames;

    @Option(names = "--seed", defaultValue = "11")
    long seed;

    @Option(names = "--steps", defaultValue = "300")
    int steps;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--eval-every", defaultValue = "50")
    int evalEvery;

    @Option(names = "--lr", defaultValue = "0.002", description = "peak learning rate (trainer default)")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "30")
    int warmup;

    @Option(names = "--xy-weight", defaultValue = "1.0", description = "xy term's weight against presence's 5")
    double xyWeight;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelQualityBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        // the held-out capture comes from its own seed: the same eval frames whatever the training set
        List<DatasetSample> eval = samples(LabSession.render(seed + 1000, 1, frames), 100);
        System.out.printf(Locale.ROOT, "eval: %d frames of a held-out capture, %d show the tip%n", eval.size(),
                eval.stream().filter(DatasetSample::getVisible).count());
        for (int captures : trainCaptures) {
            List<DatasetSample> train = samples(LabSession.render(seed, captures, frames), 0);
            System.out.printf(Locale.ROOT, "%ntrain: %d captures, %d frames, %d samples with all augmentations%n",
                    captures, captures * frames, train.size());
            for (String net : nets) {
                train(parse(net), train, eval);
            }
        }
        return 0;
    }

    private TipNetConfig parse(String spec) {
        String[] parts = spec.split(":");
        int[] stages = Arrays.stream(parts[1].split(",")).mapToInt(Integer::parseInt).toArray();
        return new TipNetConfig(203, 264, Integer.parseInt(parts[0]), stages, learningRate, 42, xyWeight);
    }

    private void train(TipNetConfig config, List<DatasetSample> train, List<DatasetSample> eval) throws IOException {
        TipNet net = TipNet.build(config);
        TipGrid grid = config.grid(528, 406);
        CheckpointEvaluator evaluator = new CheckpointEvaluator(grid, 25);
        LearningRateSchedule schedule = new LearningRateSchedule(learningRate, learningRate / 100, warmup, steps);
        System.out.printf(Locale.ROOT, "%n== net %d:%s, %d params, grid %d x %d (cells %.0f x %.0f px)%n",
                config.stemChannels(), Arrays.toString(config.stageChannels()), net.parameterCount(), grid.cols(),
                grid.rows(), grid.cellWidth(), grid.cellHeight());
        // a fixed sample of training data, evaluated alongside: tells under-fitting from over-fitting
        List<DatasetSample> seen = new ArrayList<>(train);
        Collections.shuffle(seen, new Random(seed + 1));
        seen = seen.subList(0, Math.min(eval.size(), seen.size()));
        report(0, "eval ", evaluator.evaluate(net, eval), 0);
        report(0, "train", evaluator.evaluate(net, seen), 0);
        List<Integer> order = new ArrayList<>();
        Random random = new Random(seed);
        double seconds = 0;
        for (int step = 1; step <= steps; step++) {
            if (order.size() < batch) {
                List<Integer> epoch = new ArrayList<>();
                for (int i = 0; i < train.size(); i++) {
                    epoch.add(i);
                }
                Collections.shuffle(epoch, random);
                order.addAll(epoch);
            }
            List<BufferedImage> images = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                DatasetSample s = train.get(order.remove(0));
                images.add(ImageIO.read(new ByteArrayInputStream(s.getPng().toByteArray())));
                labels.add(grid.encode(s.getVisible(), s.getTip().getX(), s.getTip().getY()));
            }
            long t0 = System.nanoTime();
            net.setLearningRate(schedule.at(step));
            net.fit(FrameTensor.batch(images, config.inputHeight(), config.inputWidth()), FrameTensor.labels(labels, grid));
            seconds += (System.nanoTime() - t0) / 1e9;
            if (step % evalEvery == 0 || step == steps) {
                report(step, "eval ", evaluator.evaluate(net, eval), step * batch / seconds);
                report(step, "train", evaluator.evaluate(net, seen), step * batch / seconds);
            }
        }
    }

    private static void report(int step, String split, CheckpointEvaluator.Evaluation evaluation,
            double imagesPerSecond) {
        TipMetrics m = evaluation.metrics();
        System.out.printf(Locale.ROOT,
                "step %4d %s  dist_mean %6.1f px  point_mean %.3f  prob_mean %.3f  overall_mean %.3f  loss %8.3f  f1 %.3f  %s%n",
                step, split, m.distMean(), m.pointMean(), m.probMean(), m.overallMean(), evaluation.loss(), m.f1(),
                step == 0 ? "" : String.format(Locale.ROOT, "(%.1f images/s)", imagesPerSecond));
    }

    /** Augment's own build of these captures, all in one split (train with every augmentation, or eval). */
    private static List<DatasetSample> samples(List<SimulatedCapture> captures, int evalPercent) throws Exception {
        Map<String, byte[]> blobs = new HashMap<>();
        var labelled = SimulatedFrames.labelled(captures, blobs);
        DatasetAssembler assembler = new DatasetAssembler("bench", new CaptureSplit(evalPercent, "bench"),
                List.of(Augmentation.values()), 264, 203, 256, "bench");
        List<DatasetSample> samples = new ArrayList<>();
        for (byte[] shard : assembler.assemble(labelled, blobs::get, Optional.empty()).orElseThrow().shards().values()) {
            samples.addAll(Shard.read(shard));
        }
        return samples;
    }
}
