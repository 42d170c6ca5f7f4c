package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tipstream.dataset.PngFrameCodec;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;
import tipstream.v1.DatasetSample;
import tipstream.v1.MetricEvent;
import tipstream.v1.Point;

class CheckpointEvaluatorTest {
    /** A small heatmap net on 40 x 32 frames: two stages, a 10 x 8 map of 4 x 4 px cells. */
    private static final TipNetConfig SMALL = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8, List.of(16, 16),
            List.of(16), 16, List.of(1, 2), 3e-3, 7, 1.0, 1.0, 1, true);
    private static final TipEncoding MAP = SMALL.encoding(40, 32);

    /** Noise with a bright 3 x 3 dot at the tip; every fourth frame has no tip. */
    private static List<DatasetSample> samples(Random random, int count) {
        List<DatasetSample> samples = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            boolean tip = n % 4 != 3;
            double x = 3 + 34 * random.nextDouble();
            double y = 3 + 26 * random.nextDouble();
            BufferedImage image = new BufferedImage(40, 32, BufferedImage.TYPE_BYTE_GRAY);
            for (int j = 0; j < 32; j++) {
                for (int i = 0; i < 40; i++) {
                    boolean dot = tip && Math.abs(i + 0.5 - x) <= 1.5 && Math.abs(j + 0.5 - y) <= 1.5;
                    image.getRaster().setSample(i, j, 0, dot ? 230 : Math.max(0, 40 + (int) (10 * random.nextGaussian())));
                }
            }
            DatasetSample.Builder s = DatasetSample.newBuilder().setFrameName("f" + n)
                    .setPng(ByteString.copyFrom(PngFrameCodec.encode(image))).setVisible(tip);
            if (tip) {
                s.setTip(Point.newBuilder().setX(x).setY(y));
            }
            samples.add(s.build());
        }
        return samples;
    }

    @Test
    void trainedNetworkIsClearlyBetterThanTheUntrainedOneOnTheSameEvalFrames() {
        List<DatasetSample> eval = samples(new Random(1), 48);
        CheckpointEvaluator evaluator = new CheckpointEvaluator(40, 32, 16);
        TipNet net = TipNet.build(SMALL);
        CheckpointEvaluator.Evaluation untrained = evaluator.evaluate(net, eval);

        Random random = new Random(2);
        for (int step = 0; step < 250; step++) {
            List<DatasetSample> batch = samples(random, 16);
            List<BufferedImage> frames = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (DatasetSample s : batch) {
                try {
                    frames.add(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(s.getPng().toByteArray())));
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
                labels.add(MAP.encode(s.getVisible(), s.getTip().getX(), s.getTip().getY()));
            }
            net.fit(FrameTensor.batch(frames, 32, 40), FrameTensor.labels(labels, MAP));
        }
        CheckpointEvaluator.Evaluation trained = evaluator.evaluate(net, eval);

        // Chance cannot pass this: 36 of 48 frames have a tip in one of 80 cells, so a guess puts the
        // right cell first 1 % of the time; within 10 px of the tip on a 40 x 32 frame needs the right place.
        assertThat(trained.metrics().overallMean()).isGreaterThan(untrained.metrics().overallMean() + 0.3);
        assertThat(trained.metrics().recall()).isGreaterThan(0.7);
        assertThat(trained.loss()).isLessThan(untrained.loss() * 0.5);
        assertThat(trained.metrics().frames()).isEqualTo(48);
    }

    @Test
    void aNumberOfViewsThereAreNotIsRefusedWhenTheEvaluatorIsMadeNotInsideAnEvaluation() {
        // inside an evaluation the error would read as "this checkpoint cannot be evaluated"
        for (int views : new int[] {0, 6}) {
            assertThatThrownBy(() -> new CheckpointEvaluator(40, 32, 16, views))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("views must be 1 to 5");
        }
        new CheckpointEvaluator(40, 32, 16, 5);
    }

    @Test
    void eventsCarryTheSeedTagsInTheEvalRun() {
        CheckpointEvaluator evaluator = new CheckpointEvaluator(40, 32, 16);
        CheckpointEvaluator.Evaluation evaluation = evaluator.evaluate(TipNet.build(SMALL), samples(new Random(3), 8));
        List<MetricEvent> events = CheckpointEvaluator.events("run-7", "eval", 120, evaluation, 1000);
        assertThat(events).extracting(MetricEvent::getTag).contains("metrics/dist_mean", "accuracy/point_mean",
                "accuracy/prob_mean", "accuracy/overall_mean", "metrics/loss", "presence/threshold", "presence/roc_auc",
                "presence/average_precision", "presence/f1");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getRun()).isEqualTo("run-7/eval");
            assertThat(e.getStep()).isEqualTo(120);
        });
        double overall = events.stream().filter(e -> e.getTag().equals("accuracy/overall_mean")).findFirst()
                .orElseThrow().getValue();
        assertThat(overall).isEqualTo(evaluation.metrics().overallMean());
        assertThat(events.get(0).getTag()).isEqualTo("eval/frames");
        assertThat(events.get(0).getValue()).isEqualTo(8);
        assertThat(events.get(events.size() - 1).getTag()).isEqualTo("presence/f1");
    }
}
