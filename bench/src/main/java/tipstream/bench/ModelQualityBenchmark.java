package tipstream.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
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
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.Shard;
import tipstream.eval.CheckpointEvaluator;
import tipstream.eval.WorstFrames;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.trainer.LearningRateSchedule;
import tipstream.v1.DatasetSample;

/**
 * The learning curve of network shapes in the same training time: each configuration trains from
 * scratch on the same augmented simulated captures (augment's own build, all augmentations) with
 * the trainer's learning-rate schedule stretched over the time budget, and is evaluated with eval's
 * own evaluator at each reporting time on held-out captures rendered with another seed (and on a
 * fixed sample of its training data, to tell under- from over-fitting), at the presence threshold
 * calibrated on validation captures of a third seed, as eval-service does. Times are training time
 * on this machine (evaluation excluded).
 */
@Command(name = "ModelQualityBenchmark", mixinStandardHelpOptions = true)
public final class ModelQualityBenchmark implements Callable<Integer> {
    @Option(names = "--model", split = ",", defaultValue = "heatmap,grid", description = "presets to compare")
    List<String> models;

    @Option(names = "--train-captures", defaultValue = "12")
    int trainCaptures;

    @Option(names = "--eval-captures", defaultValue = "4")
    int evalCaptures;

    @Option(names = "--validation-captures", defaultValue = "2",
            description = "captures (their own seed) on which the presence threshold is calibrated, as eval-service does")
    int validationCaptures;

    @Option(names = "--frames", defaultValue = "150", description = "frames per capture")
    int frames;

    @Option(names = "--seed", defaultValue = "11")
    long seed;

    @Option(names = "--minutes", split = ",", defaultValue = "5,10,20,30",
            description = "training minutes at which to evaluate; the schedule ends at the last")
    List<Double> minutes;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--lr", defaultValue = "0.002", description = "peak learning rate (trainer default)")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "30", description = "warm-up steps")
    int warmup;

    @Option(names = "--random-augmentation", negatable = true, defaultValue = "true",
            description = "a fresh random view and look of every sample each time it is drawn (the trainer's default)")
    boolean randomAugmentation;

    @Option(names = "--baked", defaultValue = "all", description = "augment's baked augmentations: all or none")
    String baked;

    @picocli.CommandLine.Mixin
    NetOverrides overrides;

    @Option(names = "--worst", description = "a folder for a sheet of the worst eval frames at each report")
    java.nio.file.Path worst;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelQualityBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        // the held-out captures come from their own seed: the same eval frames whatever the training set
        List<DatasetSample> eval = samples(LabSession.render(seed + 1000, evalCaptures, frames), 100, List.of());
        List<DatasetSample> validation = samples(LabSession.render(seed + 2000, validationCaptures, frames), 100,
                List.of());
        List<DatasetSample> train = samples(LabSession.render(seed, trainCaptures, frames), 0,
                baked.equals("none") ? List.of() : List.of(Augmentation.values()));
        System.out.printf(Locale.ROOT, "eval: %d frames of %d held-out captures, %d show the tip%n", eval.size(),
                evalCaptures, eval.stream().filter(DatasetSample::getVisible).count());
        System.out.printf(Locale.ROOT, "train: %d captures, %d frames, %d samples (baked augmentations: %s),"
                + " random augmentation %s%n", trainCaptures, trainCaptures * frames, train.size(), baked,
                randomAugmentation ? "on" : "off");
        for (String model : models) {
            train(overrides.apply(TipNetConfig.named(model)), train, validation, eval);
        }
        return 0;
    }

    private void train(TipNetConfig config, List<DatasetSample> train, List<DatasetSample> validation,
            List<DatasetSample> eval) throws IOException {
        TipNet net = TipNet.build(config);
        TipEncoding encoding = net.encoding(528, 406);
        CheckpointEvaluator evaluator = new CheckpointEvaluator(528, 406, 25);
        double budget = minutes.get(minutes.size() - 1) * 60;
        // the schedule runs on the share of the budget spent, in thousandths
        LearningRateSchedule schedule = new LearningRateSchedule(learningRate, learningRate / 100, 0, 1000);
        System.out.printf(Locale.ROOT, "%n== %s, %d params%n", config, net.parameterCount());
        List<DatasetSample> seen = new ArrayList<>(train);
        Collections.shuffle(seen, new Random(seed + 1));
        seen = seen.subList(0, Math.min(eval.size(), seen.size()));
        report(0, 0, "eval ", evaluator.evaluate(net, eval), TipMetrics.PRESENCE_THRESHOLD);
        List<Integer> order = new ArrayList<>();
        Random random = new Random(seed);
        RandomAugmentation augmentation = new RandomAugmentation(RandomAugmentation.standard());
        double seconds = 0;
        int next = 0;
        for (int step = 1; next < minutes.size(); step++) {
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
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(s.getPng().toByteArray()));
                var drawn = new RandomAugmentation.Result(image, s.getVisible(), s.getTip().getX(), s.getTip().getY());
                if (randomAugmentation) {
                    drawn = augmentation.apply(image, s.getVisible(), s.getTip().getX(), s.getTip().getY(), 528, 406,
                            random);
                }
                images.add(drawn.image());
                labels.add(encoding.encode(drawn.visible(), drawn.tipX(), drawn.tipY()));
            }
            long t0 = System.nanoTime();
            double warm = Math.min(1.0, step / (double) warmup);
            net.setLearningRate(warm * schedule.at((int) Math.min(1000, 1000 * seconds / budget)));
            net.fit(FrameTensor.batch(images, config.inputHeight(), config.inputWidth()),
                    FrameTensor.labels(labels, encoding));
            seconds += (System.nanoTime() - t0) / 1e9;
            if (seconds >= minutes.get(next) * 60) {
                CheckpointEvaluator.Scored scored = evaluator.score(net, eval);
                double threshold = validation.isEmpty() ? TipMetrics.PRESENCE_THRESHOLD
                        : evaluator.score(net, validation).calibratedThreshold();
                report(step, seconds, "eval ", scored.evaluate(threshold), threshold);
                if (worst != null) {
                    var sheet = WorstFrames.sheet(scored, threshold, 528, 16, 4);
                    if (sheet.isPresent()) {
                        javax.imageio.ImageIO.write(sheet.get(), "png", worst.resolve(String.format(Locale.ROOT,
                                "worst-%s-%03.0fmin.png", config.head().name().toLowerCase(Locale.ROOT),
                                seconds / 60)).toFile());
                    }
                }
                report(step, seconds, "train", evaluator.score(net, seen).evaluate(threshold), threshold);
                next++;
            }
        }
    }

    private static void report(int step, double seconds, String split, CheckpointEvaluator.Evaluation evaluation,
            double threshold) {
        TipMetrics m = evaluation.metrics();
        System.out.printf(Locale.ROOT,
                "%5.1f min step %5d %s dist_mean %6.2f px  point_mean %.3f  prob_mean %.3f  overall_mean %.3f"
                + "  precision %.3f  recall %.3f  threshold %.3f  roc_auc %.3f  loss %7.3f%n", seconds / 60, step, split,
                m.distMean(), m.pointMean(), m.probMean(), m.overallMean(), m.precision(), m.recall(), threshold,
                evaluation.rocAuc(), evaluation.loss());
    }
    /** Augment's own build of these captures, all in one split (train with every augmentation, or eval). */
    private static List<DatasetSample> samples(List<SimulatedCapture> captures, int evalPercent,
            List<Augmentation> augmentations) throws Exception {
        Map<String, byte[]> blobs = new HashMap<>();
        var labelled = SimulatedFrames.labelled(captures, blobs);
        DatasetAssembler assembler = new DatasetAssembler("bench", new CaptureSplit(evalPercent, "bench"),
                augmentations, 264, 203, 256, "bench");
        List<DatasetSample> samples = new ArrayList<>();
        for (byte[] shard : assembler.assemble(labelled, blobs::get, Optional.empty()).orElseThrow().shards().values()) {
            samples.addAll(Shard.read(shard));
        }
        return samples;
    }
}
