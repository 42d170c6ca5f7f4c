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
import tipstream.dataset.TipTransform;

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
        INDArray turned = new TestTimeViews.View(90).of(batch);
        assertThat(turned.shape()).isEqualTo(batch.shape());
        // a quarter turn counter-clockwise about (15, 10): pixel (20, 10), 5 right of the centre, goes 5 up
        assertThat(turned.getFloat(0, 0, 4, 15)).as("(20, 10) turned to (15, 4)").isEqualTo(20 + 1000);
        assertThat(turned.getFloat(1, 0, 4, 15)).as("the second frame alike").isEqualTo(1000 + 20 + 1000);
        assertThat(turned.getFloat(0, 0, 9, 21)).as("(15, 16), 6 below the centre, turned to (21, 9), 6 right")
                .isEqualTo(15 + 1600);
        assertThat(turned.getFloat(0, 0, 0, 0)).as("from (24, -5), above the top edge: that edge")
                .isEqualTo(24);
        assertThat(batch.getFloat(0, 0, 10, 10)).as("the batch itself is left as it was").isEqualTo(1010);
        assertThat(new TestTimeViews.View(0).of(batch)).isSameAs(batch);
    }

    @Test
    void aScaledViewShrinksThePixelsAboutTheCentreAfterTurningThem() {
        // 31 x 21, so that the centre, (15.5, 10.5), is a pixel's centre and halving maps centres onto centres
        float[] pixels = new float[21 * 31];
        for (int y = 0; y < 21; y++) {
            for (int x = 0; x < 31; x++) {
                pixels[y * 31 + x] = x + 100 * y;
            }
        }
        INDArray batch = Nd4j.create(pixels, new long[] {1, 1, 21, 31}, DataType.FLOAT);
        INDArray half = new TestTimeViews.View(0, 0.5).of(batch);
        // shrunk to half about the centre pixel (15, 10): (17, 10), 2 right of it, shows (19, 10), 4 right
        assertThat(half.getFloat(0, 0, 10, 17)).isEqualTo(19 + 1000);
        assertThat(half.getFloat(0, 0, 12, 15)).as("(15, 12) shows (15, 14)").isEqualTo(15 + 1400);
        assertThat(half.getFloat(0, 0, 0, 0)).as("from (-15, -10), outside: the corner repeated").isEqualTo(0);
        // a quarter turn, then half: (15, 8), 2 above the centre, shows what the turn put 4 above it, (19, 10)
        INDArray both = new TestTimeViews.View(90, 0.5).of(batch);
        assertThat(both.getFloat(0, 0, 8, 15)).isEqualTo(19 + 1000);
        assertThat(new TestTimeViews.View(0, 1).of(batch)).isSameAs(batch);
    }

    @Test
    void aViewsPlaceMapsBackToTheFrame() {
        INDArray input = Nd4j.zeros(DataType.FLOAT, 1, 1, 102, 132);
        TipEncoding encoding = TipNetConfig.heatmap().encoding(528, 406);
        TestTimeViews.View view = new TestTimeViews.View(16, 0.8);
        // a frame point, into the input's pixels, through the view, then back
        double fx = 400;
        double fy = 100;
        TipTransform forward = view.map(132, 102);
        double vx = forward.x(fx * 132 / 528, fy * 102 / 406) * 528 / 132;
        double vy = forward.y(fx * 132 / 528, fy * 102 / 406) * 406 / 102;
        TipTransform back = view.back(input, encoding);
        assertThat(back.x(vx, vy)).isCloseTo(fx, within(1e-9));
        assertThat(back.y(vx, vy)).isCloseTo(fy, within(1e-9));
        assertThat(Math.hypot(vx - fx, vy - fy)).as("the view moved it").isGreaterThan(20);
    }

    @Test
    void viewsAreReadAsTurnAndScale() {
        assertThat(TestTimeViews.parse("0:1, 16:0.9,-8:0.8")).containsExactly(new TestTimeViews.View(0),
                new TestTimeViews.View(16, 0.9), new TestTimeViews.View(-8, 0.8));
        assertThatThrownBy(() -> TestTimeViews.parse("0:1,16")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TURN:SCALE");
        assertThatThrownBy(() -> TestTimeViews.parse("0:0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> TestTimeViews.parse("NaN:1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a number");
        assertThatThrownBy(() -> TestTimeViews.parse("a:1")).isInstanceOf(NumberFormatException.class);
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
