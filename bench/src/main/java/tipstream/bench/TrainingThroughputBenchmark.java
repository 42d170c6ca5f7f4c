package tipstream.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.devstack.LocalPlatform;
import tipstream.model.NativeBackend;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;

/**
 * Training throughput of a TipNet shape (images/s, optimiser steps on in-memory batches, no data
 * loading), and the same for inference; with {@code --peer}, the same shape in PyTorch
 * ({@code bench/peer/tipnet_torch.py speed}) in alternating rounds of the same run, medians and the
 * ratio at the end, and the GFLOP/s both achieve (FLOPs from the layer shapes). Run it twice to
 * compare with the layer helpers off: {@code -Dorg.eclipse.deeplearning4j.helpers.disable=true}.
 */
@Command(name = "TrainingThroughputBenchmark", mixinStandardHelpOptions = true)
public final class TrainingThroughputBenchmark implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "" + LocalPlatform.BATCH, description = "batch (the trainer's default)")
    int batch;

    @Option(names = "--steps", defaultValue = "30")
    int steps;

    @Option(names = "--warmup", defaultValue = "5")
    int warmup;

    @Option(names = "--model", defaultValue = "heatmap", description = "heatmap or grid")
    String model;

    @picocli.CommandLine.Mixin
    NetOverrides overrides;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainingThroughputBenchmark()).execute(args));
    }

    @Option(names = "--rounds", defaultValue = "1", description = "alternating rounds (DL4J, then the peer)")
    int rounds;

    @Option(names = "--peer", description = "the same network in PyTorch, e.g. \"/usr/bin/python3 bench/peer/tipnet_torch.py\"")
    String peer;

    @Override
    public Integer call() throws Exception {
        NativeBackend.ensureReady();
        TipNetConfig config = overrides.apply(TipNetConfig.named(model));
        double flops = forwardFlops(config);
        System.out.printf(Locale.ROOT, "%s: %.3f GFLOP per image forward (training ~3x)%n", config, flops / 1e9);
        List<double[]> dl4j = new ArrayList<>();
        List<double[]> torch = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            dl4j.add(measure(config));
            report("DL4J   ", round, dl4j.get(dl4j.size() - 1), flops);
            if (peer != null) {
                torch.add(measurePeer(config));
                report("PyTorch", round, torch.get(torch.size() - 1), flops);
            }
        }
        double[] ours = {median(dl4j, 0), median(dl4j, 1)};
        report("DL4J    median", 0, ours, flops);
        if (peer != null) {
            double[] theirs = {median(torch, 0), median(torch, 1)};
            report("PyTorch median", 0, theirs, flops);
            System.out.printf(Locale.ROOT, "DL4J / PyTorch: training %.2f, inference %.2f%n", ours[0] / theirs[0],
                    ours[1] / theirs[1]);
        }
        return 0;
    }

    /** Training and inference images/s of DL4J on in-memory batches. */
    private double[] measure(TipNetConfig config) {
        TipNet net = TipNet.build(config);
        INDArray[] batchAndTarget = randomBatch(net, batch);
        INDArray input = batchAndTarget[0];
        INDArray target = batchAndTarget[1];
        for (int i = 0; i < warmup; i++) {
            net.fit(input, target);
        }
        double[] stepSeconds = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            net.fit(input, target);
            stepSeconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        double[] inferSeconds = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            net.output(input);
            inferSeconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        System.out.printf(Locale.ROOT, "TipNet %s, %d parameters, input 1x%dx%d, batch %d, ND4J backend %s, oneDNN %s,"
                + " helpers disabled=%s%n", config.head(), net.parameterCount(), config.inputHeight(),
                config.inputWidth(), batch, Nd4j.getBackend().getClass().getSimpleName(),
                NativeBackend.oneDnnInUse() ? "on" : "off",
                System.getProperty("org.eclipse.deeplearning4j.helpers.disable"));
        return new double[] {batch / median(stepSeconds), batch / median(inferSeconds)};
    }

    /**
     * An in-memory batch for {@code net}: random pixels, and a tip somewhere in each 528 x 406 frame
     * (the same every call): {input, target}.
     */
    static INDArray[] randomBatch(TipNet net, int batch) {
        TipNetConfig config = net.config();
        TipEncoding map = net.encoding(528, 406);
        Random random = new Random(1);
        INDArray input = Nd4j.rand(DataType.FLOAT, batch, 1, config.inputHeight(), config.inputWidth());
        float[] labels = new float[batch * map.channels() * map.rows() * map.cols()];
        for (int n = 0; n < batch; n++) {
            float[] one = map.encode(true, 528 * random.nextDouble(), 406 * random.nextDouble());
            System.arraycopy(one, 0, labels, n * one.length, one.length);
        }
        INDArray target = Nd4j.create(labels, new long[] {batch, map.channels(), map.rows(), map.cols()},
                DataType.FLOAT);
        return new INDArray[] {input, target};
    }

    /** The same measurement by the PyTorch peer, on the same shape ({@code tipnet_torch.py speed}). */
    private double[] measurePeer(TipNetConfig config) throws Exception {
        Path properties = Files.createTempFile("tipnet", ".properties");
        try {
            Files.writeString(properties, config.toProperties());
            List<String> command = new ArrayList<>(List.of(peer.trim().split("\\s+")));
            command.addAll(List.of("speed", "--config", properties.toString(), "--batch", Integer.toString(batch),
                    "--steps", Integer.toString(steps), "--warmup", Integer.toString(warmup)));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("the peer failed:\n" + output);
            }
            System.out.print(output);
            return new double[] {imagesPerSecond(output, "training"), imagesPerSecond(output, "inference")};
        } finally {
            Files.deleteIfExists(properties);
        }
    }

    private static double imagesPerSecond(String output, String line) {
        Matcher m = Pattern.compile(line + ": .*, ([0-9.]+) images/s").matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("no " + line + " figure in the peer's output:\n" + output);
        }
        return Double.parseDouble(m.group(1));
    }

    private static void report(String who, int round, double[] imagesPerSecond, double flops) {
        // training is counted as three forward passes (forward, backward by input, backward by weights)
        System.out.printf(Locale.ROOT, "%s%s training %.1f images/s (%.1f GFLOP/s), inference %.1f images/s"
                + " (%.1f GFLOP/s)%n", who, round > 0 ? " round " + round : "", imagesPerSecond[0],
                3 * flops * imagesPerSecond[0] / 1e9, imagesPerSecond[1], flops * imagesPerSecond[1] / 1e9);
    }

    /** Multiply-adds x 2 of every convolution for one image, from the layer shapes. */
    static double forwardFlops(TipNetConfig config) {
        int h = config.inputHeight();
        int w = config.inputWidth();
        double flops = 0;
        int channels = config.inputFold() * config.inputFold(); // a stride-4 stem: 3 x 3 on the input folded 2 x 2
        h = (h + config.stemStride() - 1) / config.stemStride();
        w = (w + config.stemStride() - 1) / config.stemStride();
        flops += 2.0 * h * w * 9 * channels * config.stemChannels();
        channels = config.stemChannels();
        for (int width : config.stageChannels()) {
            h = (h + 1) / 2;
            w = (w + 1) / 2;
            flops += 2.0 * h * w * 9 * channels * width;
            channels = width;
        }
        for (int ignored : config.contextDilations()) {
            flops += 2.0 * h * w * 9 * channels * config.contextChannels();
            channels = config.contextChannels();
        }
        return flops + 2.0 * h * w * channels * config.head().channels();
    }

    private static double median(List<double[]> rounds, int index) {
        return median(rounds.stream().mapToDouble(r -> r[index]).toArray());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
