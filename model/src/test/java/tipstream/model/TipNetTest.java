package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TipNetTest {
    /** A small net on 40 x 32 frames: three stages, a 5 x 4 grid of 8 x 8 px cells. */
    private static final TipNetConfig SMALL = new TipNetConfig(32, 40, 8, new int[] {16, 16, 16}, 3e-3, 7, 1.0);
    private static final TipGrid GRID = SMALL.grid(40, 32);

    /** Noise with a bright 3 x 3 dot at the tip, or no dot for a frame without a tip. */
    private static BufferedImage frame(Random random, boolean tip, double x, double y) {
        BufferedImage image = new BufferedImage(40, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int j = 0; j < 32; j++) {
            for (int i = 0; i < 40; i++) {
                int v = 40 + (int) (10 * random.nextGaussian());
                if (tip && Math.abs(i + 0.5 - x) <= 1.5 && Math.abs(j + 0.5 - y) <= 1.5) {
                    v = 230;
                }
                image.getRaster().setSample(i, j, 0, Math.max(0, Math.min(255, v)));
            }
        }
        return image;
    }

    private record Batch(INDArray input, INDArray labels, List<double[]> truth) {
    }

    private static Batch batch(Random random, int size) {
        List<BufferedImage> frames = new ArrayList<>();
        List<float[]> labels = new ArrayList<>();
        List<double[]> truth = new ArrayList<>();
        for (int n = 0; n < size; n++) {
            boolean tip = n % 4 != 3;
            double x = 3 + 34 * random.nextDouble();
            double y = 3 + 26 * random.nextDouble();
            frames.add(frame(random, tip, x, y));
            labels.add(GRID.encode(tip, x, y));
            truth.add(new double[] {tip ? 1 : 0, x, y});
        }
        return new Batch(FrameTensor.batch(frames, 32, 40), FrameTensor.labels(labels, GRID), truth);
    }

    @Test
    void standardNetworkMapsAHalfResolutionFrameToItsGrid() {
        TipNetConfig config = TipNetConfig.standard();
        TipNet net = TipNet.build(config);
        assertThat(config.gridCols()).isEqualTo(9);
        assertThat(config.gridRows()).isEqualTo(7);
        INDArray input = FrameTensor.batch(List.of(new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY)), 203, 264);
        assertThat(net.network().output(input).shape()).containsExactly(1, 3, 7, 9);
        assertThat(net.parameterCount()).isBetween(200_000L, 1_000_000L);
    }

    @Test
    void restoringRefusesBytesThatAreNotANetworkAndANetworkOfAnotherShape() {
        assertThatThrownBy(() -> TipNet.fromBytes(SMALL, "PK not a zip".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a saved network");
        byte[] small = TipNet.build(SMALL).toBytes();
        // three stages on the standard 203 x 264 input give 26 x 33 cells, not the standard 7 x 9
        assertThatThrownBy(() -> TipNet.fromBytes(TipNetConfig.standard(), small))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the network maps a 1 x 203 x 264 frame to [3, 26, 33] cells, not the 3 x 7 x 9 of this"
                        + " configuration");
        assertThat(TipNet.fromBytes(SMALL, small).config()).isEqualTo(SMALL);
    }

    @Test
    void trainingFindsTheDotUpdatesBatchNormStatisticsAndSurvivesSaveAndRestore() {
        TipNet net = TipNet.build(SMALL);
        Random random = new Random(3);
        Batch held = batch(new Random(99), 32);
        double before = net.loss(held.input(), held.labels());
        INDArray meanBefore = net.network().getLayer(1).getParam("mean").dup();
        for (int step = 0; step < 250; step++) {
            Batch b = batch(random, 16);
            net.fit(b.input(), b.labels());
        }
        double after = net.loss(held.input(), held.labels());
        assertThat(after).as("held-out loss before %.3f, after %.3f", before, after).isLessThan(before * 0.5);
        // batch norm's running mean really moves during training (a classic bug when it does not)
        assertThat(net.network().getLayer(1).getParam("mean")).isNotEqualTo(meanBefore);

        List<TipGrid.Prediction> predictions = net.predict(held.input(), GRID);
        TipMetrics metrics = new TipMetrics();
        for (int i = 0; i < predictions.size(); i++) {
            double[] t = held.truth().get(i);
            metrics.add(t[0] == 1, t[1], t[2], predictions.get(i));
        }
        // chance: a random cell of 20 is right 5 % of the time; a dot found within one cell width
        assertThat(metrics.recall()).isGreaterThan(0.7);
        assertThat(metrics.distMean()).isLessThan(GRID.cellWidth());

        TipNet restored = TipNet.fromBytes(SMALL, net.toBytes());
        List<TipGrid.Prediction> again = restored.predict(held.input(), GRID);
        assertThat(again).isEqualTo(predictions);
    }
}
