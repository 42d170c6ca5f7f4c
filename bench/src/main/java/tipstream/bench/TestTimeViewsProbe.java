package tipstream.bench;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.TestTimeViews;
import tipstream.model.TipEncoding;
import tipstream.model.TipMetrics;
import tipstream.model.TipNet;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;

/**
 * Test-time views ({@link TestTimeViews}): each eval and validation frame of a stored dataset version
 * located by a checkpoint as it is and turned by 16 and 8 degrees each way, the places turned back; then the
 * seed metrics of a few ways of combining the five answers, each at the presence threshold calibrated on
 * validation the same way (eval's path: {@link TipNet#locate}, {@link CheckpointEvaluator.Scored}): what the
 * views buy, and which way of combining them (BENCHMARKS.md, "Model quality").
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.TestTimeViewsProbe CHECKPOINT DATASET_VERSION
 * </pre>
 */
public final class TestTimeViewsProbe {
    public static void main(String[] args) throws Exception {
        TipNet net = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        List<DatasetSample> eval = StoredDataset.samples(Path.of(args[1]), "eval");
        List<DatasetSample> validation = StoredDataset.samples(Path.of(args[1]), "validation");
        List<List<TipPrediction>> evalViews = views(net, eval);
        List<List<TipPrediction>> validationViews = views(net, validation);
        Map<String, Function<List<TipPrediction>, TipPrediction>> ways = new LinkedHashMap<>();
        ways.put("the frame as it is", views -> views.get(0));
        ways.put("mean presence of 2 views (0, +16 degrees), the frame's place", views -> new TipPrediction(
                (views.get(0).presence() + views.get(1).presence()) / 2, views.get(0).x(), views.get(0).y()));
        ways.put("mean presence of 5 views, the frame's place", views -> new TipPrediction(meanPresence(views),
                views.get(0).x(), views.get(0).y()));
        ways.put("5 views: the most confident one", views -> views.stream()
                .max(Comparator.comparingDouble(TipPrediction::presence)).orElseThrow());
        ways.put("3 views (0, +-16 degrees): voted place, mean presence", views -> TestTimeViews.combine(
                List.of(views.get(0), views.get(1), views.get(2))));
        ways.put("5 views: voted place, mean presence (TestTimeViews)", TestTimeViews::combine);
        ways.put("5 views: voted place, presence of the views within 10 px of it", views -> {
            TipPrediction chosen = TestTimeViews.combine(views);
            return new TipPrediction(views.stream().filter(p -> Math.hypot(p.x() - chosen.x(), p.y() - chosen.y())
                    <= TipMetrics.POINT_TOLERANCE_PX).mapToDouble(TipPrediction::presence).sum() / views.size(),
                    chosen.x(), chosen.y());
        });
        for (var way : ways.entrySet()) {
            List<TipPrediction> e = combine(evalViews, way.getValue());
            List<TipPrediction> v = combine(validationViews, way.getValue());
            double threshold = new CheckpointEvaluator.Scored(validation, v, 0).calibratedThreshold();
            var m = new CheckpointEvaluator.Scored(eval, e, 0).evaluate(threshold);
            System.out.printf(Locale.ROOT, "%-55s threshold %.3f overall %.3f dist %.2f px point %.3f prob %.3f"
                    + " ROC AUC %.4f%n", way.getKey(), threshold, m.metrics().overallMean(), m.metrics().distMean(),
                    m.metrics().pointMean(), m.metrics().probMean(), m.rocAuc());
        }
    }

    /** Each frame's answer in every view, in frame pixels: [view][frame]. */
    static List<List<TipPrediction>> views(TipNet net, List<DatasetSample> samples) throws Exception {
        TipEncoding encoding = net.encoding(528, 406);
        List<List<TipPrediction>> views = new ArrayList<>();
        for (int v = 0; v < TestTimeViews.MAX; v++) {
            views.add(new ArrayList<>());
        }
        for (int start = 0; start < samples.size(); start += 32) {
            List<BufferedImage> frames = CandidateProbe.images(samples.subList(start, Math.min(samples.size(), start + 32)));
            List<List<TipPrediction>> answers = TestTimeViews.answers(net, frames, encoding, TestTimeViews.MAX);
            for (int v = 0; v < TestTimeViews.MAX; v++) {
                views.get(v).addAll(answers.get(v));
            }
        }
        return views;
    }

    private static List<TipPrediction> combine(List<List<TipPrediction>> views,
            Function<List<TipPrediction>, TipPrediction> way) {
        List<TipPrediction> combined = new ArrayList<>();
        for (int i = 0; i < views.get(0).size(); i++) {
            int frame = i;
            combined.add(way.apply(views.stream().map(view -> view.get(frame)).toList()));
        }
        return combined;
    }

    private static double meanPresence(List<TipPrediction> views) {
        return views.stream().mapToDouble(TipPrediction::presence).average().orElseThrow();
    }
}
