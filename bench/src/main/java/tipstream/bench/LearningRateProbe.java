package tipstream.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tipstream.model.NativeBackend;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;

/**
 * What setting the learning rate before each step costs a trainer step (the first stage on 16
 * frames, the refiner on 4 crops, in-memory batches of the heatmap preset): DL4J's own
 * {@code ComputationGraph.setLearningRate} on both networks against {@link TipNet#setLearningRate}
 * (the rate set in place), alternating rounds of 80 steps each in one JVM; medians and means of the
 * step times, after the cost of DL4J's call alone (BENCHMARKS.md, "Training throughput", stop 40).
 * <pre>
 * java -Xmx1500m -XX:+UseSerialGC -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.LearningRateProbe
 * </pre>
 */
public final class LearningRateProbe {
    private static final int STEPS = 80;

    public static void main(String[] args) {
        NativeBackend.ensureReady();
        TipNet net = TipNet.build(TipNetConfig.named("heatmap"));
        TipNet refiner = net.refiner().orElseThrow();
        int crop = refiner.config().inputWidth();
        Random random = new Random(1);
        INDArray frames = Nd4j.rand(DataType.FLOAT, 16, 1, net.config().inputHeight(), net.config().inputWidth());
        INDArray frameLabels = labels(net.encoding(528, 406), 16, random);
        INDArray crops = Nd4j.rand(DataType.FLOAT, 4, 1, crop, crop);
        INDArray cropLabels = labels(refiner.encoding(crop, crop), 4, random);
        for (int i = 0; i < 30; i++) {
            net.fit(frames, frameLabels);
            refiner.fit(crops, cropLabels);
        }
        long callsStart = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            refiner.network().setLearningRate(1e-3 * (1 - i * 1e-3));
            net.network().setLearningRate(1e-3 * (1 - i * 1e-3));
        }
        System.out.printf(Locale.ROOT, "DL4J's setLearningRate on both networks alone: %.2f ms a call (200 calls)%n",
                (System.nanoTime() - callsStart) / 1e6 / 200);
        for (int round = 1; round <= 4; round++) {
            for (boolean dl4js : new boolean[] {true, false}) {
                double[] millis = new double[STEPS];
                for (int i = 0; i < STEPS; i++) {
                    double rate = 1e-3 * (1 - i * 1e-3);
                    long t0 = System.nanoTime();
                    if (dl4js) {
                        refiner.network().setLearningRate(rate);
                        net.network().setLearningRate(rate);
                    } else {
                        net.setLearningRate(rate);
                    }
                    net.fit(frames, frameLabels);
                    refiner.fit(crops, cropLabels);
                    millis[i] = (System.nanoTime() - t0) / 1e6;
                }
                double mean = Arrays.stream(millis).average().orElseThrow();
                Arrays.sort(millis);
                System.out.printf(Locale.ROOT, "round %d, %-33s step median %.1f ms, mean %.1f ms%n", round,
                        dl4js ? "DL4J's setLearningRate:" : "the rate set in place (TipNet):", millis[STEPS / 2], mean);
            }
        }
    }

    /** A batch's labels: each sample's tip at a random place of the encoding's frame. */
    private static INDArray labels(TipEncoding encoding, int batch, Random random) {
        float[] labels = new float[batch * encoding.channels() * encoding.rows() * encoding.cols()];
        for (int n = 0; n < batch; n++) {
            float[] one = encoding.encode(true, encoding.frameWidth() * random.nextDouble(),
                    encoding.frameHeight() * random.nextDouble());
            System.arraycopy(one, 0, labels, n * one.length, one.length);
        }
        return Nd4j.create(labels, new long[] {batch, encoding.channels(), encoding.rows(), encoding.cols()},
                DataType.FLOAT);
    }
}
