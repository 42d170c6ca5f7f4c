package tipstream.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.model.NativeBackend;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;

/**
 * Training throughput of the standard TipNet (images/s, optimiser steps on in-memory batches, no
 * data loading), and the same for inference. Run it twice to compare with the layer helpers off:
 * {@code -Dorg.eclipse.deeplearning4j.helpers.disable=true}.
 */
@Command(name = "TrainingThroughputBenchmark", mixinStandardHelpOptions = true)
public final class TrainingThroughputBenchmark implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "16")
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

    @Override
    public Integer call() {
        NativeBackend.ensureReady();
        TipNetConfig config = overrides.apply(TipNetConfig.named(model));
        TipNet net = TipNet.build(config);
        TipEncoding grid = net.encoding(528, 406);
        Random random = new Random(1);
        INDArray input = Nd4j.rand(DataType.FLOAT, batch, 1, config.inputHeight(), config.inputWidth());
        float[] labels = new float[batch * grid.channels() * grid.rows() * grid.cols()];
        for (int n = 0; n < batch; n++) {
            float[] one = grid.encode(true, 528 * random.nextDouble(), 406 * random.nextDouble());
            System.arraycopy(one, 0, labels, n * one.length, one.length);
        }
        INDArray target = Nd4j.create(labels, new long[] {batch, grid.channels(), grid.rows(), grid.cols()},
                DataType.FLOAT);
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
            net.network().outputSingle(false, input);
            inferSeconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        System.out.printf(Locale.ROOT, "TipNet %s, %d parameters, input 1x%dx%d, batch %d, oneDNN %s, helpers disabled=%s%n",
                config.head(), net.parameterCount(), config.inputHeight(), config.inputWidth(), batch,
                NativeBackend.oneDnnInUse() ? "on" : "off",
                System.getProperty("org.eclipse.deeplearning4j.helpers.disable"));
        System.out.printf(Locale.ROOT, "training: median step %.3f s, %.1f images/s%n", median(stepSeconds),
                batch / median(stepSeconds));
        System.out.printf(Locale.ROOT, "inference: median batch %.3f s, %.1f images/s%n", median(inferSeconds),
                batch / median(inferSeconds));
        return 0;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
