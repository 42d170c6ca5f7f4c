package tipstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.model.TipPrediction;
import tipstream.model.TipRefiner;
import tipstream.v1.DatasetSample;
import tipstream.v1.Point;

class ConfusersTest {
    /** A first stage on 48 x 40 inputs of 96 x 80 frames, refined on 32 px crops. */
    private static final TipNetConfig SHAPE = new TipNetConfig(TipNetConfig.Head.HEATMAP, 40, 48, 8, List.of(16),
            List.of(), 16, List.of(1), 3e-3, 7, 1.0, 1.0, 2, false, 0, 32);

    @Test
    void eachKeptFramesConfusersAreTheFirstStagesStrongestPlacesLessThoseACropAroundItsTipHolds() {
        TipNet net = TipNet.build(SHAPE);
        TipEncoding encoding = net.encoding(96, 80);
        Random random = new Random(3);
        List<PrefetchingLoader.Kept> kept = new ArrayList<>();
        List<List<TipPrediction>> places = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // more than one of the batches it looks at at once
            BufferedImage input = new BufferedImage(48, 40, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 40; y++) {
                for (int x = 0; x < 48; x++) {
                    input.getRaster().setSample(x, y, 0, random.nextInt(256));
                }
            }
            float[] output = net.output(FrameTensor.batch(List.of(input), 40, 48)).get(NDArrayIndex.point(0)).dup().data()
                    .asFloat();
            List<TipPrediction> strongest = encoding.candidates(output, TipRefiner.CANDIDATES).stream()
                    .map(TipEncoding.Candidate::tip).toList();
            places.add(strongest);
            // two of three frames have their tip at the first stage's strongest place, the third none
            boolean visible = i % 3 != 0;
            DatasetSample.Builder sample = DatasetSample.newBuilder().setCaptureId("c").setFrameName("f" + i).setVisible(visible);
            if (visible) {
                sample.setTip(Point.newBuilder().setX(strongest.get(0).x()).setY(strongest.get(0).y()));
            }
            kept.add(new PrefetchingLoader.Kept("c/f" + i, sample.build(), input));
        }
        Map<String, List<TipPrediction>> found = Confusers.find(net, encoding, SHAPE.refineCrop(), kept);
        assertThat(found).hasSize(40);
        int dropped = 0;
        for (int i = 0; i < 40; i++) {
            List<TipPrediction> confusers = found.get("c/f" + i);
            TipPrediction tip = places.get(i).get(0);
            boolean noTip = i % 3 == 0;
            List<TipPrediction> expected = places.get(i).stream().filter(p -> noTip
                    || Math.hypot(p.x() - tip.x(), p.y() - tip.y()) > SHAPE.refineCrop() / 2.0).toList();
            dropped += places.get(i).size() - expected.size();
            assertThat(confusers).as("frame %d", i).hasSameSizeAs(expected);
            for (int c = 0; c < expected.size(); c++) {
                assertThat(Math.hypot(confusers.get(c).x() - expected.get(c).x(), confusers.get(c).y() - expected.get(c).y()))
                        .isLessThan(0.01);
            }
        }
        assertThat(dropped).as("the tip's own place, at least, is never a confuser").isGreaterThanOrEqualTo(26);
    }
}
