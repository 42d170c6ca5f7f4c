package tipstream.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tipstream.model.HeatmapLoss;
import tipstream.model.NativeBackend;
import tipstream.model.TipEncoding;
import tipstream.model.TipNetConfig;

/**
 * What the heatmap loss costs a training step on its own (in Java, on one thread, while the other
 * OpenMP thread waits): DL4J asks it for the gradient and, apart, the score, each step, so one call of
 * each on the first stage's output for a batch of 32 frames (and with {@code refiner}, the refiner's
 * for 8 crops), timed as the median of rounds of 200.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.HeatmapLossProbe [refiner]
 * </pre>
 */
public final class HeatmapLossProbe {
    public static void main(String[] args) {
        NativeBackend.ensureReady();
        boolean refiner = args.length > 0 && args[0].equals("refiner");
        TipNetConfig config = refiner ? tipstream.model.TipRefiner.shape(TipNetConfig.heatmap()) : TipNetConfig.heatmap();
        int batch = refiner ? 8 : 32;
        double width = refiner ? config.inputWidth() : 528;
        double height = refiner ? config.inputHeight() : 406;
        TipEncoding map = config.encoding(width, height);
        int cells = config.gridRows() * config.gridCols();
        Random random = new Random(1);
        float[] labels = new float[batch * cells * map.channels()];
        for (int n = 0; n < batch; n++) {
            float[] one = map.encode(random.nextBoolean(), width * random.nextDouble(), height * random.nextDouble());
            // the loss reads rows of channels, one row a cell: the encoding's maps are channels first
            for (int c = 0; c < map.channels(); c++) {
                for (int i = 0; i < cells; i++) {
                    labels[(n * cells + i) * map.channels() + c] = one[c * cells + i];
                }
            }
        }
        INDArray labelRows = Nd4j.create(labels, new long[] {(long) batch * cells, map.channels()}, 'c');
        INDArray output = Nd4j.randn(DataType.FLOAT, (long) batch * cells, map.channels()).muli(3);
        HeatmapLoss loss = new HeatmapLoss(cells, config.presenceWeight(), config.positionWeight());
        double[] micros = new double[7];
        double sink = 0;
        for (int round = 0; round < micros.length; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                sink += loss.computeGradient(labelRows, output, new ActivationIdentity(), null).getDouble(0);
                sink += loss.computeScore(labelRows, output, new ActivationIdentity(), null, false);
            }
            micros[round] = (System.nanoTime() - t0) / 1e3 / 200;
        }
        double[] warm = Arrays.copyOfRange(micros, 2, micros.length);
        Arrays.sort(warm);
        System.out.printf(Locale.ROOT, "%s: %d cells x %d, gradient and score %.0f us a step (median of rounds 3-7;"
                + " all rounds %s) [%g]%n", refiner ? "refiner" : "first stage", cells, batch, warm[warm.length / 2],
                Arrays.toString(Arrays.stream(micros).map(Math::rint).toArray()), sink);
    }
}
