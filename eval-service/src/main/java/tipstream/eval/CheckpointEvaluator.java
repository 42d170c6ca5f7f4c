package tipstream.eval;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import tipstream.dataset.MetricTags;
import tipstream.dataset.PngFrameCodec;
import tipstream.model.FrameTensor;
import tipstream.model.PresenceCurves;
import tipstream.model.TestTimeViews;
import tipstream.model.TipEncoding;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;
import tipstream.v1.MetricEvent;

/**
 * Evaluates a network on a split's samples with the seed metrics (fresh metrics per evaluation, so
 * nothing streams over from the last one), distances in original-frame pixels, at a presence
 * threshold that may be calibrated on another split, and turns the result into metric events under
 * the same tags the trainer uses, in the run's "eval" (or "validation") series.
 */
public final class CheckpointEvaluator {
    private final double frameWidth;
    private final double frameHeight;
    private final int batchSize;
    private final List<TestTimeViews.View> views;

    /** An evaluator that locates each frame as it is (one view). */
    public CheckpointEvaluator(double frameWidth, double frameHeight, int batchSize) {
        this(frameWidth, frameHeight, batchSize, 1);
    }

    /** An evaluator that combines {@code views} views of each frame ({@link TestTimeViews}). */
    public CheckpointEvaluator(double frameWidth, double frameHeight, int batchSize, int views) {
        this(frameWidth, frameHeight, batchSize, TestTimeViews.first(views));
    }

    /** An evaluator that combines these views of each frame ({@link TestTimeViews}). */
    public CheckpointEvaluator(double frameWidth, double frameHeight, int batchSize, List<TestTimeViews.View> views) {
        this.frameWidth = frameWidth;
        this.frameHeight = frameHeight;
        this.batchSize = batchSize;
        this.views = List.copyOf(views);
    }

    /** Every frame of a split as the network saw it: truth and prediction, plus the mean loss per frame. */
    public record Scored(List<DatasetSample> samples, List<TipPrediction> predictions, double loss) {
        /** The seed metrics with {@code threshold} as the presence threshold. */
        public Evaluation evaluate(double threshold) {
            TipMetrics metrics = new TipMetrics(threshold);
            for (int i = 0; i < samples.size(); i++) {
                DatasetSample s = samples.get(i);
                metrics.add(s.getVisible(), s.getTip().getX(), s.getTip().getY(), predictions.get(i));
            }
            List<PresenceCurves.Scored> curves = curves();
            return new Evaluation(metrics, loss, PresenceCurves.rocAuc(curves), PresenceCurves.averagePrecision(curves));
        }

        /** The presence threshold that makes the most of these frames fully right. */
        public double calibratedThreshold() {
            return PresenceCurves.calibrate(curves());
        }

        private List<PresenceCurves.Scored> curves() {
            List<PresenceCurves.Scored> curves = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                DatasetSample s = samples.get(i);
                curves.add(PresenceCurves.score(s.getVisible(), s.getTip().getX(), s.getTip().getY(), predictions.get(i)));
            }
            return curves;
        }
    }

    /** The metrics at one threshold, the mean loss per frame, and the threshold-free presence figures. */
    public record Evaluation(TipMetrics metrics, double loss, double rocAuc, double averagePrecision) {
    }

    /** The network's predictions for every sample (any split); metrics follow with a threshold. */
    public Scored score(TipNet net, List<DatasetSample> samples) {
        List<TipPrediction> predictions = new ArrayList<>();
        double lossSum = 0;
        TipEncoding encoding = net.encoding(frameWidth, frameHeight);
        int h = net.config().inputHeight();
        int w = net.config().inputWidth();
        for (int start = 0; start < samples.size(); start += batchSize) {
            List<DatasetSample> chunk = samples.subList(start, Math.min(samples.size(), start + batchSize));
            List<BufferedImage> frames = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (DatasetSample s : chunk) {
                frames.add(decode(s));
                labels.add(encoding.encode(s.getVisible(), s.getTip().getX(), s.getTip().getY()));
            }
            INDArray input = FrameTensor.batch(frames, h, w);
            INDArray output = net.output(input);
            lossSum += net.lossOfOutput(output, FrameTensor.labels(labels, encoding)) * chunk.size();
            predictions.addAll(TestTimeViews.combined(TestTimeViews.answers(net, frames, encoding, input, output, views)));
        }
        return new Scored(List.copyOf(samples), predictions, samples.isEmpty() ? Double.NaN : lossSum / samples.size());
    }

    /** The evaluation at the seed's threshold, 0.5. */
    public Evaluation evaluate(TipNet net, List<DatasetSample> samples) {
        return score(net, samples).evaluate(TipMetrics.PRESENCE_THRESHOLD);
    }

    /**
     * The evaluation as metric events of run {@code <runId>/<series>} (eval or validation) at the
     * checkpoint's step. {@code eval/frames} comes first, so two steps can be seen to share their
     * eval set (it grows when a new dataset version adds eval captures); {@link MetricTags#EVALUATION_DONE}
     * comes last ({@link MetricTags#EVALUATION}'s order).
     */
    public static List<MetricEvent> events(String runId, String series, long step, Evaluation evaluation,
            long wallTimeMs) {
        TipMetrics m = evaluation.metrics();
        String run = runId + "/" + series;
        List<MetricEvent> events = new ArrayList<>();
        double[] values = {m.frames(), m.distMean(), m.pointMean(), m.probMean(), m.overallMean(), evaluation.loss(),
            m.threshold(), evaluation.rocAuc(), evaluation.averagePrecision(), m.localisationDistMedian(),
            m.localisationWithinTolerance(), m.precision(), m.recall(), m.f1()};
        List<String> tags = MetricTags.EVALUATION;
        for (int i = 0; i < tags.size(); i++) {
            events.add(MetricEvent.newBuilder().setRun(run).setTag(tags.get(i)).setStep(step).setValue(values[i])
                    .setWallTimeMs(wallTimeMs).build());
        }
        return events;
    }

    /** A sample's frame; one that cannot be decoded fails its evaluation (dead-lettered, never tried again). */
    static BufferedImage decode(DatasetSample sample) {
        try {
            return PngFrameCodec.decodeSample(sample);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
