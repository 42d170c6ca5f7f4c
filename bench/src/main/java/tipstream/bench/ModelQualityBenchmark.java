package tipstream.bench;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.augment.Augmentation;
import tipstream.augment.DatasetAssembler;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.SimulatedCapture;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.Shard;
import tipstream.dataset.TipTransform;
import tipstream.devstack.LocalPlatform;
import tipstream.eval.CheckpointEvaluator;
import tipstream.eval.WorstFrames;
import tipstream.model.EncoderPretraining;
import tipstream.model.FrameTensor;
import tipstream.model.PretrainedEncoder;
import tipstream.model.TestTimeViews;
import tipstream.model.TipEncoding;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.model.TipPrediction;
import tipstream.model.TipRefiner;
import tipstream.trainer.Confusers;
import tipstream.trainer.LearningRateSchedule;
import tipstream.trainer.PrefetchingLoader;
import tipstream.trainer.TrainingBatch;
import tipstream.v1.DatasetSample;

/**
 * The learning curve of network shapes in the same training time: each configuration trains from
 * scratch on the same simulated captures (augment's own build at the frames' size), drawn by the
 * trainer's own loader (random augmentation, the refiner's crops), each step as the trainer takes it,
 * with the trainer's learning-rate schedule stretched over the time budget, and is evaluated with eval's
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

    @Option(names = "--frames", defaultValue = "150", description = "frames per training capture")
    int frames;

    @Option(names = "--eval-frames", description = "frames per eval and validation capture (default: --frames),"
            + " so that runs with different training captures share their eval frames")
    Integer evalFrames;

    @Option(names = "--seed", defaultValue = "11")
    long seed;

    @Option(names = "--train-rooms", defaultValue = "VARIED",
            description = "the training captures' rooms: VARIED (one each, as capture-sim renders) or ORIGINAL (one lab)")
    LabSession.Rooms trainRooms;

    @Option(names = "--eval-rooms", defaultValue = "VARIED", description = "the eval and validation captures' rooms")
    LabSession.Rooms evalRooms;

    @Option(names = "--minutes", split = ",", defaultValue = "5,10,20,30",
            description = "training minutes at which to evaluate; the schedule ends at the last")
    List<Double> minutes;

    @Option(names = "--batch", defaultValue = "" + LocalPlatform.BATCH,
            description = "training batch (the trainer's default)")
    int batch;

    @Option(names = "--lr", defaultValue = "0.003", description = "peak learning rate (trainer default)")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "30", description = "warm-up steps")
    int warmup;

    @Option(names = "--random-augmentation", negatable = true, defaultValue = "true",
            description = "a fresh random view and look of every sample each time it is drawn (the trainer's default)")
    boolean randomAugmentation;

    @Option(names = "--flip-chance", description = "the random augmentation's chance of a mirror image (default: the trainer's)")
    Double flipChance;

    @Option(names = "--augmentation", description = "the random augmentation's settings changed by name, e.g."
            + " maxRotationDegrees=180 (RandomAugmentation.Settings; default: the trainer's)")
    Map<String, Double> augmentationChanges = new HashMap<>();

    @Option(names = "--baked", defaultValue = "all", description = "augment's baked augmentations: all or none")
    String baked;

    @picocli.CommandLine.Mixin
    NetOverrides overrides;

    @Option(names = "--pretrain-minutes", defaultValue = "0",
            description = "first pretrain the encoder this long by masked reconstruction (EncoderPretraining)")
    double pretrainMinutes;

    @Option(names = "--unlabelled-captures", defaultValue = "0",
            description = "captures (their own seed) added to the training frames for pretraining only")
    int unlabelledCaptures;

    @Option(names = "--freeze-up-to", defaultValue = "", description = "with pretraining: the last encoder block kept frozen (stem, stage1, ...)")
    String freezeUpTo;

    @Option(names = "--unfreeze-at", defaultValue = "1", description = "share of the training budget after which frozen blocks train too")
    double unfreezeAt;

    /*
     * The trainer finds the refiner's confusers at each checkpoint (TrainingRun, every 1600 steps of 32 since stop
     * 44); this benchmark's figures in BENCHMARKS.md were measured at 800, so that stays the default.
     */
    @Option(names = "--confusers-every", defaultValue = "800", description = "find the first stage's confusers for the"
            + " refiner's crops every this many steps (0: never; the PyTorch peer never does)")
    int confusersEvery;

    @Option(names = "--views", defaultValue = "1", description = "also score each report's network with this many"
            + " test-time views (TestTimeViews, as eval-service and predict read frames), at the threshold validation"
            + " calibrates with the same views; the peer is sent the views' inputs and scored the same way")
    int views;

    @Option(names = "--view-set", description = "also score each report's network with these views, voted as eval"
            + " votes them, e.g. 0:1,16:0.9,-16:0.9 (TURN:SCALE; repeatable)")
    List<String> viewSets = new ArrayList<>();

    @Option(names = "--peer", description = "train each model in this PyTorch peer instead of DL4J, e.g."
            + " \"/usr/bin/python3 bench/peer/tipnet_torch.py\"")
    String peer;

    @Option(names = "--dataset", description = "train and score on a dataset version as stored (its train, validation and"
            + " eval shard folders, e.g. .devstack/s3/tipstream/datasets/lab/1.10.0) instead of rendering captures")
    Path dataset;

    @Option(names = "--held-out-dataset", description = "score on this stored version's eval and validation splits"
            + " instead of rendered or --dataset ones (to tell a harder eval set from a weaker training set)")
    Path heldOutDataset;

    @Option(names = "--worst", description = "a folder for a sheet of the worst eval frames at each report")
    Path worst;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelQualityBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        // the held-out captures come from their own seed: the same eval frames whatever the training set
        int heldOutFrames = evalFrames == null ? frames : evalFrames;
        Path heldOut = heldOutDataset != null ? heldOutDataset : dataset;
        List<DatasetSample> eval = heldOut != null ? StoredDataset.samples(heldOut, "eval")
                : samples(LabSession.render(seed + 1000, evalCaptures, heldOutFrames, evalRooms), 100, List.of());
        List<DatasetSample> validation = heldOut != null ? StoredDataset.samples(heldOut, "validation")
                : samples(LabSession.render(seed + 2000, validationCaptures, heldOutFrames, evalRooms), 100, List.of());
        List<DatasetSample> train = dataset != null ? StoredDataset.samples(dataset, "train") : samples(LabSession.render(seed, trainCaptures,
                frames, trainRooms), 0, SimulatedFrames.baked(baked));
        System.out.printf(Locale.ROOT, "eval: %d frames, %d show the tip; validation: %d frames (rooms: %s)%n", eval.size(),
                eval.stream().filter(DatasetSample::getVisible).count(), validation.size(), evalRooms);
        System.out.printf(Locale.ROOT, "train: %d samples (%s), random augmentation %s%n", train.size(),
                dataset != null ? "stored in " + dataset : trainCaptures + " captures of " + frames + " frames, baked"
                + " augmentations: " + baked + ", rooms: " + trainRooms, randomAugmentation ? augmentationSettings() : "off");
        List<DatasetSample> seen = new ArrayList<>(train);
        Collections.shuffle(seen, new Random(seed + 1));
        seen = seen.subList(0, Math.min(eval.size(), seen.size()));
        TestTimeViews.checked(views);
        viewSets.forEach(TestTimeViews::parse); // a bad set refused now, not after the first budget's training
        if (train.size() < batch) { // the loader makes whole batches only: it would never make one
            throw new IllegalArgumentException("training needs at least one batch of " + batch + " samples; there are "
                    + train.size() + ": more captures or frames, or a smaller --batch");
        }
        if (peer != null && !viewSets.isEmpty()) {
            throw new IllegalArgumentException("--view-set scores DL4J's network only, not the peer's");
        }
        for (String model : models) {
            TipNetConfig config = overrides.apply(TipNetConfig.named(model));
            if (peer == null) {
                train(config, train, validation, eval, seen);
            } else {
                trainPeer(config, train, validation, eval, seen);
            }
        }
        return 0;
    }

    private void train(TipNetConfig config, List<DatasetSample> train, List<DatasetSample> validation,
            List<DatasetSample> eval, List<DatasetSample> seen) throws Exception {
        TipNet net = TipNet.build(config);
        CheckpointEvaluator evaluator = new CheckpointEvaluator(528, 406, 25);
        // each report's network also scored in --views views and in each --view-set, by their labels
        Map<String, CheckpointEvaluator> viewedEvaluators = new java.util.LinkedHashMap<>();
        if (views > 1) {
            viewedEvaluators.put("eval" + views + "v", new CheckpointEvaluator(528, 406, 25, views));
        }
        for (String set : viewSets) {
            viewedEvaluators.put("eval " + set, new CheckpointEvaluator(528, 406, 25, TestTimeViews.parse(set)));
        }
        double budget = minutes.get(minutes.size() - 1) * 60;
        // the schedule runs on the share of the budget spent, in thousandths
        LearningRateSchedule schedule = new LearningRateSchedule(learningRate, learningRate / 100, 0, 1000);
        System.out.printf(Locale.ROOT, "%n== %s, %d params%n", config, net.parameterCount());
        if (pretrainMinutes > 0) {
            net.loadEncoder(pretrain(config, train));
            net.freezeUpTo(freezeUpTo);
            System.out.printf(Locale.ROOT, "training from the pretrained encoder, frozen: %s until %.0f %% of the budget%n",
                    net.frozenLayers(), 100 * unfreezeAt);
        }
        report(0, 0, "eval ", evaluator.evaluate(net, eval), TipMetrics.PRESENCE_THRESHOLD);
        try (PrefetchingLoader loader = loader(train, config)) {
            double seconds = 0;
            int next = 0;
            for (int step = 1; next < minutes.size(); step++) {
                TrainingBatch drawn = loader.next();
                if (!net.frozenLayers().isEmpty() && seconds >= unfreezeAt * budget) {
                    net.unfreeze();
                    System.out.printf(Locale.ROOT, "%5.1f min step %5d: the encoder trains too from here%n", seconds / 60, step);
                }
                long t0 = System.nanoTime();
                double warm = Math.min(1.0, step / (double) warmup);
                net.setLearningRate(warm * schedule.at((int) Math.min(1000, 1000 * seconds / budget)));
                // one step as the trainer takes it (TrainingRun): the first stage, then the refiner on its crops,
                // and now and then the first stage's confusers for the refiner's crops
                net.fit(drawn.input(), drawn.labels());
                net.refiner().ifPresent(refiner -> refiner.fit(drawn.crops().input(), drawn.crops().labels()));
                if (config.refines() && confusersEvery > 0 && step % confusersEvery == 0) {
                    loader.confusers(Confusers.find(net, net.encoding(528, 406), config.refineCrop(), loader.kept()));
                }
                seconds += (System.nanoTime() - t0) / 1e9;
                if (seconds >= minutes.get(next) * 60) {
                    // scored as eval-service scores a checkpoint: with the running average of the weights
                    TipNet averaged = net.averaged();
                    reportAll(step, seconds, config, evaluator.score(averaged, eval), evaluator.score(averaged, validation),
                            evaluator.score(averaged, seen));
                    for (var viewed : viewedEvaluators.entrySet()) {
                        double viewedThreshold = threshold(viewed.getValue().score(averaged, validation));
                        report(step, seconds, viewed.getKey(), viewed.getValue().score(averaged, eval)
                                .evaluate(viewedThreshold), viewedThreshold);
                    }
                    double lastThreshold = threshold(evaluator.score(net, validation));
                    report(step, seconds, "last ", evaluator.score(net, eval).evaluate(lastThreshold), lastThreshold);
                    next++;
                }
            }
        }
    }

    /**
     * The encoder pretrained by masked reconstruction on the training frames and the unlabelled
     * captures, each drawn with the trainer's random augmentation, for {@code --pretrain-minutes} of
     * training time (same batch, Adam at the peak rate after the warm-up, cosine to 1/100).
     */
    private PretrainedEncoder pretrain(TipNetConfig config, List<DatasetSample> train) throws Exception {
        List<DatasetSample> pool = new ArrayList<>(train);
        if (unlabelledCaptures > 0) {
            pool.addAll(samples(LabSession.render(seed + 3000, unlabelledCaptures, frames), 0, List.of()));
        }
        EncoderPretraining pretraining = new EncoderPretraining(config, 0.4);
        Random random = new Random(seed + 3);
        double budget = pretrainMinutes * 60;
        LearningRateSchedule schedule = new LearningRateSchedule(learningRate, learningRate / 100, 0, 1000);
        double seconds = 0;
        double loss = Double.NaN;
        int step = 0;
        try (PrefetchingLoader loader = loader(pool, config.withRefineCrop(0))) {
            while (seconds < budget) {
                INDArray input = loader.next().input();
                step++;
                long t0 = System.nanoTime();
                pretraining.setLearningRate(Math.min(1.0, step / (double) warmup)
                        * schedule.at((int) Math.min(1000, 1000 * seconds / budget)));
                loss = pretraining.fit(input, random);
                seconds += (System.nanoTime() - t0) / 1e9;
            }
        }
        System.out.printf(Locale.ROOT, "%npretrained the encoder on %d frames: %d steps in %.1f min, reconstruction"
                + " loss %.5f%n", pool.size(), step, seconds / 60, loss);
        return pretraining.encoder();
    }

    /** The evaluation at one reporting time: eval at the threshold calibrated on validation, and the training sample. */
    private void reportAll(int step, double seconds, TipNetConfig config, CheckpointEvaluator.Scored eval,
            CheckpointEvaluator.Scored validation, CheckpointEvaluator.Scored seen) throws IOException {
        double threshold = threshold(validation);
        report(step, seconds, "eval ", eval.evaluate(threshold), threshold);
        // what calibrating on validation costs: the threshold eval itself would choose (hindsight, never used)
        double hindsight = eval.calibratedThreshold();
        TipMetrics best = eval.evaluate(hindsight).metrics();
        System.out.printf(Locale.ROOT, "%5.1f min step %5d eval at eval's own threshold %.3f (hindsight):"
                + " overall_mean %.3f  prob_mean %.3f  dist_mean %.2f px%n", seconds / 60, step, hindsight,
                best.overallMean(), best.probMean(), best.distMean());
        if (worst != null) {
            var sheet = WorstFrames.sheet(eval, threshold, 528, 16, 4);
            if (sheet.isPresent()) {
                Files.createDirectories(worst);
                ImageIO.write(sheet.get(), "png", worst.resolve(String.format(Locale.ROOT, "worst-%s%s-%03.0fmin.png",
                        peer == null ? "" : "peer-", config.head().name().toLowerCase(Locale.ROOT), seconds / 60))
                        .toFile());
            }
        }
        report(step, seconds, "train", seen.evaluate(threshold), threshold);
    }

    /** The presence threshold calibrated on validation, as eval-service does; the seed's without validation frames. */
    private static double threshold(CheckpointEvaluator.Scored validation) {
        return validation.samples().isEmpty() ? TipMetrics.PRESENCE_THRESHOLD : validation.calibratedThreshold();
    }

    private RandomAugmentation.Settings augmentationSettings() {
        RandomAugmentation.Settings standard = RandomAugmentation.standard();
        Map<String, Double> changes = new HashMap<>(augmentationChanges);
        if (flipChance != null) {
            changes.put("flipChance", flipChance);
        }
        // the record rebuilt through its canonical constructor, each named component replaced
        RecordComponent[] parts = RandomAugmentation.Settings.class.getRecordComponents();
        Object[] values = new Object[parts.length];
        Class<?>[] types = new Class<?>[parts.length];
        for (int i = 0; i < parts.length; i++) {
            types[i] = parts[i].getType();
            try {
                values[i] = changes.containsKey(parts[i].getName()) ? changes.remove(parts[i].getName())
                        : parts[i].getAccessor().invoke(standard);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!changes.isEmpty()) {
            throw new IllegalArgumentException("no such augmentation setting: " + changes.keySet());
        }
        try {
            return RandomAugmentation.Settings.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The trainer's own loader over these samples, held in memory as shards of 256: batches drawn as
     * the trainer draws them (shuffled each epoch, each sample freshly augmented, the refiner's crops
     * when the shape refines), endless; decoded frames kept.
     */
    private PrefetchingLoader loader(List<DatasetSample> pool, TipNetConfig config) {
        Map<String, byte[]> shards = new HashMap<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < pool.size(); i += 256) {
            String key = "bench/" + i;
            shards.put(key, Shard.write(pool.subList(i, Math.min(pool.size(), i + 256))));
            keys.add(key);
        }
        Optional<TipEncoding> crops = config.refines()
                ? Optional.of(TipRefiner.shape(config).encoding(config.refineCrop(), config.refineCrop()))
                : Optional.empty();
        Optional<RandomAugmentation> augmentation = randomAugmentation
                ? Optional.of(new RandomAugmentation(augmentationSettings())) : Optional.empty();
        return new PrefetchingLoader(shards::get, keys, config.encoding(528, 406), crops, augmentation,
                config.inputHeight(), config.inputWidth(), batch, seed, 8, 2, 1L << 30, 0, 0, 1_000_000);
    }

    /**
     * The same training in PyTorch ({@code bench/peer/tipnet_torch.py learn}): the peer gets the
     * same network shape (and the refiner's, when the shape refines), the batches this benchmark
     * draws with the trainer's loader (same frames, augmentation and crops, same schedule over its own
     * training time), and hands back its raw output maps at each reporting time; the refiner's
     * places are asked for on the crops around the first stage's candidates, and everything is
     * scored here by the same code as DL4J's ({@link TipRefiner#choose}).
     */
    private void trainPeer(TipNetConfig config, List<DatasetSample> train, List<DatasetSample> validation,
            List<DatasetSample> eval, List<DatasetSample> seen) throws Exception {
        TipEncoding encoding = config.encoding(528, 406);
        Path properties = Files.createTempFile("tipnet", ".properties");
        Files.writeString(properties, config.toProperties());
        Path refinerProperties = Files.createTempFile("tipnet-refiner", ".properties");
        List<String> command = new ArrayList<>(List.of(peer.trim().split("\\s+")));
        List<TestTimeViews.View> turned = TestTimeViews.first(views).subList(1, views);
        command.addAll(List.of("learn", "--sets", Integer.toString(3 + 2 * turned.size()),
                "--config", properties.toString(), "--batch", Integer.toString(batch),
                "--lr", Double.toString(learningRate), "--warmup", Integer.toString(warmup),
                // the peer's seed draws its starting weights only (the batches come from here)
                "--seed", Long.toString(overrides.initSeed != null ? overrides.initSeed : seed),
                "--minutes", minutes.stream().map(String::valueOf).collect(Collectors.joining(","))));
        if (config.refines()) {
            Files.writeString(refinerProperties, TipRefiner.shape(config).toProperties());
            command.addAll(List.of("--refiner-config", refinerProperties.toString()));
        }
        System.out.printf(Locale.ROOT, "%n== peer: %s, %s%n", String.join(" ", command), config);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // eval, validation and the training sample as they are, then eval and validation in each turned view
        List<List<DatasetSample>> sets = new ArrayList<>(List.of(eval, validation, seen));
        List<TipTransform> backs = new ArrayList<>(List.of(TipTransform.IDENTITY, TipTransform.IDENTITY,
                TipTransform.IDENTITY));
        List<List<BufferedImage>> setFrames = new ArrayList<>();
        try (PrefetchingLoader loader = loader(train, config);
                var toPeer = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 20));
                var fromPeer = new DataInputStream(new BufferedInputStream(process.getInputStream()))) {
            List<INDArray> inputs = new ArrayList<>();
            for (List<DatasetSample> set : List.copyOf(sets)) {
                List<BufferedImage> frames = new ArrayList<>();
                for (DatasetSample s : set) {
                    frames.add(PngFrameCodec.decodeStored(s.getPng().toByteArray()));
                }
                setFrames.add(frames);
                inputs.add(FrameTensor.batch(frames, config.inputHeight(), config.inputWidth()));
            }
            for (TestTimeViews.View view : turned) {
                for (int k = 0; k < 2; k++) {
                    sets.add(sets.get(k));
                    setFrames.add(setFrames.get(k));
                    inputs.add(view.of(inputs.get(k)));
                    backs.add(view.back(inputs.get(k), encoding));
                }
            }
            for (INDArray input : inputs) {
                writeInt(toPeer, (int) input.size(0));
                writeFloats(toPeer, input);
            }
            toPeer.flush();
            for (int request = fromPeer.read(); request != 'Q'; request = fromPeer.read()) {
                if (request == 'B') {
                    TrainingBatch drawn = loader.next();
                    writeInt(toPeer, batch);
                    writeFloats(toPeer, drawn.input());
                    writeFloats(toPeer, drawn.labels());
                    if (config.refines()) {
                        writeInt(toPeer, (int) drawn.crops().input().size(0));
                        writeFloats(toPeer, drawn.crops().input());
                        writeFloats(toPeer, drawn.crops().labels());
                    }
                    toPeer.flush();
                } else if (request == 'R') {
                    int step = Integer.reverseBytes(fromPeer.readInt());
                    double seconds = Double.longBitsToDouble(Long.reverseBytes(fromPeer.readLong()));
                    List<List<float[]>> maps = new ArrayList<>();
                    for (List<DatasetSample> set : sets) {
                        maps.add(readMaps(fromPeer, set.size(), encoding));
                    }
                    List<List<TipPrediction>> answers = new ArrayList<>();
                    for (int k = 0; k < sets.size(); k++) {
                        TipTransform back = backs.get(k);
                        answers.add(config.refines()
                                ? peerChoice(toPeer, fromPeer, TipRefiner.shape(config), setFrames.get(k), maps.get(k),
                                        encoding, back)
                                : maps.get(k).stream().map(map -> encoding.decode(map).mapped(back, 528, 406)).toList());
                    }
                    if (config.refines()) {
                        writeInt(toPeer, 0); // no more crops to place: the peer trains on
                        toPeer.flush();
                    }
                    reportAll(step, seconds, config, scored(eval, answers.get(0)), scored(validation, answers.get(1)),
                            scored(seen, answers.get(2)));
                    if (views > 1) {
                        // eval's views are answers 0, 3, 5, ...; validation's 1, 4, 6, ...
                        List<List<TipPrediction>> evalViews = new ArrayList<>(List.of(answers.get(0)));
                        List<List<TipPrediction>> validationViews = new ArrayList<>(List.of(answers.get(1)));
                        for (int v = 0; v < turned.size(); v++) {
                            evalViews.add(answers.get(3 + 2 * v));
                            validationViews.add(answers.get(4 + 2 * v));
                        }
                        double viewedThreshold = threshold(scored(validation, TestTimeViews.combined(validationViews)));
                        report(step, seconds, "eval" + views + "v",
                                scored(eval, TestTimeViews.combined(evalViews)).evaluate(viewedThreshold), viewedThreshold);
                    }
                } else {
                    throw new IOException("the peer broke the protocol (" + request + "); see its output above");
                }
            }
        } finally {
            process.destroy();
            Files.deleteIfExists(properties);
            Files.deleteIfExists(refinerProperties);
        }
    }

    /** A set's frames with the peer's answers, scored as eval-service scores them (no loss: the peer's is its own). */
    private static CheckpointEvaluator.Scored scored(List<DatasetSample> set, List<TipPrediction> answers) {
        return new CheckpointEvaluator.Scored(set, answers, Double.NaN);
    }

    /** A set's raw output maps from the peer, one per frame. */
    private static List<float[]> readMaps(DataInputStream in, int frames, TipEncoding encoding) throws IOException {
        int per = encoding.channels() * encoding.rows() * encoding.cols();
        List<float[]> maps = new ArrayList<>(frames);
        byte[] bytes = new byte[4 * per];
        for (int i = 0; i < frames; i++) {
            in.readFully(bytes);
            float[] map = new float[per];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(map);
            maps.add(map);
        }
        return maps;
    }

    /**
     * Each frame's tip as {@link TipNet#locate} chooses it, from the peer's first-stage maps and its
     * refiner, which places the tip on the crops sent to it (int32 n, n crops; back: n raw maps).
     */
    private static List<TipPrediction> peerChoice(DataOutputStream toPeer, DataInputStream fromPeer, TipNetConfig refiner,
            List<BufferedImage> frames, List<float[]> maps, TipEncoding encoding, TipTransform back) throws IOException {
        TipEncoding cropEncoding = refiner.encoding(refiner.inputWidth(), refiner.inputHeight());
        TipRefiner.CropPlacer placer = new TipRefiner.CropPlacer() {
            @Override
            public TipNetConfig shape() {
                return refiner;
            }

            @Override
            public List<TipPrediction> place(INDArray crops) {
                try {
                    writeInt(toPeer, (int) crops.size(0));
                    writeFloats(toPeer, crops);
                    toPeer.flush();
                    return readMaps(fromPeer, (int) crops.size(0), cropEncoding).stream()
                            .map(map -> TipRefiner.placeOnCrop(cropEncoding, map)).toList();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        List<List<TipEncoding.Candidate>> candidates = maps.stream()
                .map(map -> encoding.candidates(map, TipRefiner.CANDIDATES).stream()
                        .map(c -> new TipEncoding.Candidate(c.tip().mapped(back, 528, 406), c.share())).toList())
                .toList();
        return TipRefiner.choose(placer, frames, candidates, 528, 406);
    }

    private static void writeInt(DataOutputStream out, int value) throws IOException {
        out.writeInt(Integer.reverseBytes(value));
    }

    private static void writeFloats(DataOutputStream out, INDArray array) throws IOException {
        float[] values = array.dup('c').data().asFloat();
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        out.write(buffer.array());
    }

    private static void report(int step, double seconds, String split, CheckpointEvaluator.Evaluation evaluation,
            double threshold) {
        TipMetrics m = evaluation.metrics();
        System.out.printf(Locale.ROOT,
                "%5.1f min step %5d %s dist_mean %6.2f px  point_mean %.3f  prob_mean %.3f  overall_mean %.3f"
                + "  precision %.3f  recall %.3f  threshold %.3f  roc_auc %.3f  loss %7.3f"
                // where every visible tip was placed, said present or not: localisation apart from the threshold
                + "  visible: dist_median %.2f px  within_10px %.3f%n", seconds / 60, step, split,
                m.distMean(), m.pointMean(), m.probMean(), m.overallMean(), m.precision(), m.recall(), threshold,
                evaluation.rocAuc(), evaluation.loss(), m.localisationDistMedian(), m.localisationWithinTolerance());
    }

    /** Augment's own build of these captures, all in one split (train with every augmentation, or eval). */
    private static List<DatasetSample> samples(List<SimulatedCapture> captures, int evalPercent,
            List<Augmentation> augmentations) throws Exception {
        Map<String, byte[]> blobs = new HashMap<>();
        var labelled = SimulatedFrames.labelled(captures, blobs);
        DatasetAssembler assembler = new DatasetAssembler("bench", new CaptureSplit(evalPercent, "bench"),
                augmentations, FrameFormat.LAB_CAMERA, 528, 406, 256, "bench");
        List<byte[]> shards = new ArrayList<>();
        assembler.assemble(labelled, blobs::get, Optional.empty(), (key, bytes) -> shards.add(bytes));
        List<DatasetSample> samples = new ArrayList<>();
        for (byte[] shard : shards) {
            samples.addAll(Shard.read(shard));
        }
        return samples;
    }
}
