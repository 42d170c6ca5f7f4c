package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TestTimeViewsTest {
    @Test
    void aTurnMovesThePixelsAboutTheCentreAndRepeatsTheEdgeIntoTheCorners() {
        float[] pixels = new float[2 * 20 * 30];
        for (int n = 0; n < 2; n++) {
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 30; x++) {
                    pixels[(n * 20 + y) * 30 + x] = 1000 * n + x + 100 * y;
                }
            }
        }
        INDArray batch = Nd4j.create(pixels, new long[] {2, 1, 20, 30}, DataType.FLOAT);
        INDArray turned = TestTimeViews.turned(batch, 90);
        assertThat(turned.shape()).isEqualTo(batch.shape());
        // a quarter turn counter-clockwise about (15, 10): pixel (20, 10), 5 right of the centre, goes 5 up
        assertThat(turned.getFloat(0, 0, 4, 15)).as("(20, 10) turned to (15, 4)").isEqualTo(20 + 1000);
        assertThat(turned.getFloat(1, 0, 4, 15)).as("the second frame alike").isEqualTo(1000 + 20 + 1000);
        assertThat(turned.getFloat(0, 0, 9, 21)).as("(15, 16), 6 below the centre, turned to (21, 9), 6 right")
                .isEqualTo(15 + 1600);
        assertThat(turned.getFloat(0, 0, 0, 0)).as("from (24, -5), above the top edge: that edge")
                .isEqualTo(24);
        assertThat(batch.getFloat(0, 0, 10, 10)).as("the batch itself is left as it was").isEqualTo(1010);
        assertThat(TestTimeViews.turned(batch, 0)).isSameAs(batch);
    }

    @Test
    void theViewsCombineAsTheViewNearestTheirMedianPlaceWithTheirMeanPresence() {
        TipPrediction combined = TestTimeViews.combine(List.of(new TipPrediction(0.9, 100.4, 99.0),
                new TipPrediction(0.8, 101, 100), new TipPrediction(0.2, 300, 50), new TipPrediction(0.7, 100, 101),
                new TipPrediction(0.6, 99, 99.5)));
        // the four within 10 px of each other outvote the far-off third; of them the first is nearest their
        // median place (100.2, 99.75)
        assertThat(combined.x()).isEqualTo(100.4);
        assertThat(combined.y()).isEqualTo(99.0);
        assertThat(combined.presence()).isCloseTo(0.64, within(1e-9));
    }

    @Test
    void whereTheViewsSplitThePlaceWithMorePresenceBehindItWins() {
        // three views at A (presence 0.3 each, 0.9 in all), two at B, 80 px away (0.6 each, 1.2 in all)
        List<TipPrediction> views = List.of(new TipPrediction(0.3, 100, 100), new TipPrediction(0.6, 180, 100),
                new TipPrediction(0.3, 103, 100), new TipPrediction(0.6, 184, 103), new TipPrediction(0.3, 101, 98));
        TipPrediction combined = TestTimeViews.combine(views);
        // B's two views have the median (182, 101.5): the first is 2.5 px from it, the second 2.5 px too,
        // and the first of equals stays
        assertThat(combined.x()).isEqualTo(180);
        assertThat(combined.y()).isEqualTo(100);
        assertThat(combined.presence()).isCloseTo(0.42, within(1e-9));
        // with A's views more sure (0.5 each, 1.5 in all) A wins, at the view nearest A's median (101, 100)
        TipPrediction other = TestTimeViews.combine(List.of(new TipPrediction(0.5, 100, 100),
                new TipPrediction(0.6, 180, 100), new TipPrediction(0.5, 103, 100), new TipPrediction(0.6, 184, 103),
                new TipPrediction(0.5, 101, 98)));
        assertThat(other.x()).isEqualTo(100);
        assertThat(other.y()).isEqualTo(100);
    }

    @Test
    void eachViewsPlaceIsTurnedBackIntoTheFramesPixels() {
        // a small heatmap network that learns to find a bright dot (8 px cells on 96 x 80 frames)
        TipNetConfig shape = new TipNetConfig(TipNetConfig.Head.HEATMAP, 40, 48, 8, List.of(16), List.of(), 16,
                List.of(1), 3e-3, 7, 1.0, 1.0, 2, false);
        TipNet net = TipNet.build(shape);
        TipEncoding map = net.encoding(96, 80);
        Random random = new Random(3);
        for (int step = 0; step < 400; step++) {
            List<BufferedImage> frames = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (int n = 0; n < 16; n++) {
                double x = 12 + 72 * random.nextDouble();
                double y = 12 + 56 * random.nextDouble();
                frames.add(TipRefinerTest.frame(96, 80, x, y, random));
                labels.add(map.encode(true, x, y));
            }
            net.fit(FrameTensor.batch(frames, 40, 48), FrameTensor.labels(labels, map));
        }
        List<BufferedImage> frames = new ArrayList<>();
        List<double[]> truth = new ArrayList<>();
        for (int n = 0; n < 20; n++) {
            double x = 16 + 64 * random.nextDouble();
            double y = 16 + 48 * random.nextDouble();
            frames.add(TipRefinerTest.frame(96, 80, x, y, random));
            truth.add(new double[] {x, y});
        }
        TipNet trained = net.averaged();
        List<List<TipPrediction>> answers = TestTimeViews.answers(trained, frames, map, TestTimeViews.MAX);
        assertThat(answers.get(0)).as("the first view is the frame as it is").isEqualTo(trained.locate(frames, map));
        for (int v = 0; v < TestTimeViews.MAX; v++) {
            double miss = 0;
            for (int n = 0; n < 20; n++) {
                miss += Math.hypot(answers.get(v).get(n).x() - truth.get(n)[0], answers.get(v).get(n).y() - truth.get(n)[1]) / 20;
            }
            // a place left in a turned view's pixels would be 3-6 px off at 8 degrees, 6-11 at 16 (20-40 px from the centre)
            assertThat(miss).as("view %d's mean miss", v).isLessThan(2.5);
        }
        assertThat(TestTimeViews.locate(trained, frames, map, 1)).isEqualTo(answers.get(0));
        assertThat(TestTimeViews.locate(trained, frames, map, 5)).hasSize(20);
        assertThatThrownBy(() -> TestTimeViews.locate(trained, frames, map, 6)).isInstanceOf(IllegalArgumentException.class);
    }
}
