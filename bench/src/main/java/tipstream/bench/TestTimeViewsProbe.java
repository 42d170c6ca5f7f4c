package tipstream.bench;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.FrameTensor;
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
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.TestTimeViewsProbe CHECKPOINT DATASET_VERSION [TURN:SCALE,TURN:SCALE,... ...]
 * </pre>
 * Each further argument is a set of views to vote on, each view TURN:SCALE ({@link TestTimeViews.View}; e.g.
 * 0:0.8 is the frame shrunk to 0.8 about its centre); each view not among the five is also scored alone, and the
 * first of them compared with the frame as it is tip by tip.
 */
public final class TestTimeViewsProbe {
    public static void main(String[] args) throws Exception {
        TipNet net = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        List<DatasetSample> eval = StoredDataset.samples(Path.of(args[1]), "eval");
        List<DatasetSample> validation = StoredDataset.samples(Path.of(args[1]), "validation");
        // each further argument a set of views voted as eval votes them, e.g. 0:1,16:1,-16:1,0:0.9,0:0.8
        Map<String, List<TestTimeViews.View>> sets = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            sets.put(args[i], TestTimeViews.parse(args[i]));
        }
        List<TestTimeViews.View> all = new ArrayList<>(TestTimeViews.first(TestTimeViews.MAX));
        sets.values().stream().flatMap(List::stream).distinct().filter(v -> !all.contains(v)).forEach(all::add);
        List<List<TipPrediction>> evalViews = views(net, eval, all);
        List<List<TipPrediction>> validationViews = views(net, validation, all);
        int standard = TestTimeViews.MAX;
        Map<String, Function<List<TipPrediction>, TipPrediction>> ways = new LinkedHashMap<>();
        ways.put("the frame as it is", views -> views.get(0));
        ways.put("mean presence of 2 views (0, +16 degrees), the frame's place", views -> new TipPrediction(
                (views.get(0).presence() + views.get(1).presence()) / 2, views.get(0).x(), views.get(0).y()));
        ways.put("mean presence of 5 views, the frame's place", views -> new TipPrediction(meanPresence(views.subList(0, standard)),
                views.get(0).x(), views.get(0).y()));
        ways.put("5 views: the most confident one", views -> views.subList(0, standard).stream()
                .max(Comparator.comparingDouble(TipPrediction::presence)).orElseThrow());
        ways.put("3 views (0, +-16 degrees): voted place, mean presence", views -> TestTimeViews.combine(
                List.of(views.get(0), views.get(1), views.get(2))));
        ways.put("5 views: voted place, mean presence (TestTimeViews)", views -> TestTimeViews.combine(
                views.subList(0, standard)));
        for (int i = standard; i < all.size(); i++) {
            int at = i;
            ways.put("view " + all.get(i).turn() + ":" + all.get(i).scale() + " alone", views -> views.get(at));
        }
        sets.forEach((name, set) -> ways.put(name + " voted", views -> TestTimeViews.combine(
                set.stream().map(view -> views.get(all.indexOf(view))).toList())));
        ways.put("5 views: voted place, presence of the views within 10 px of it", views -> {
            TipPrediction chosen = TestTimeViews.combine(views.subList(0, standard));
            return new TipPrediction(views.subList(0, standard).stream().filter(p -> Math.hypot(p.x() - chosen.x(),
                    p.y() - chosen.y()) <= TipMetrics.POINT_TOLERANCE_PX).mapToDouble(TipPrediction::presence).sum()
                    / standard,
                    chosen.x(), chosen.y());
        });
        if (all.size() > standard) {
            flips(eval, evalViews.get(0), evalViews.get(standard), all.get(standard));
        }
        for (var way : ways.entrySet()) {
            List<TipPrediction> e = combine(evalViews, way.getValue());
            List<TipPrediction> v = combine(validationViews, way.getValue());
            double threshold = new CheckpointEvaluator.Scored(validation, v, 0).calibratedThreshold();
            var m = new CheckpointEvaluator.Scored(eval, e, 0).evaluate(threshold);
            var mv = new CheckpointEvaluator.Scored(validation, v, 0).evaluate(threshold);
            System.out.printf(Locale.ROOT, "%-60s threshold %.3f overall %.3f dist %.2f px point %.3f prob %.3f"
                    + " ROC AUC %.4f; validation overall %.3f dist %.2f px%n", way.getKey(), threshold,
                    m.metrics().overallMean(), m.metrics().distMean(), m.metrics().pointMean(), m.metrics().probMean(),
                    m.rocAuc(), mv.metrics().overallMean(), mv.metrics().distMean());
        }
    }

    /**
     * The eval tips {@code other} (a view) places within 10 px where the frame as it is misses by more than 20, and
     * the other way round, each listed, then counted by the frame's index in its capture (its name's last digit).
     */
    private static void flips(List<DatasetSample> eval, List<TipPrediction> asIs, List<TipPrediction> viewed,
            TestTimeViews.View other) {
        int[] mended = new int[10];
        int[] broken = new int[10];
        for (int i = 0; i < eval.size(); i++) {
            DatasetSample s = eval.get(i);
            if (!s.getVisible()) {
                continue;
            }
            double before = Math.hypot(asIs.get(i).x() - s.getTip().getX(), asIs.get(i).y() - s.getTip().getY());
            double after = Math.hypot(viewed.get(i).x() - s.getTip().getX(), viewed.get(i).y() - s.getTip().getY());
            String name = s.getFrameName();
            int index = Character.digit(name.charAt(name.lastIndexOf('.') - 1), 10);
            if (before > 20 && after < 10) {
                mended[Math.max(0, index)]++;
                System.out.printf(Locale.ROOT, "found by %s: %s, tip (%.0f, %.0f), the frame as it is %.0f px off%n",
                        other, name, s.getTip().getX(), s.getTip().getY(), before);
            } else if (after > 20 && before < 10) {
                broken[Math.max(0, index)]++;
                System.out.printf(Locale.ROOT, "lost by %s: %s, tip (%.0f, %.0f), %.0f px off%n", other, name,
                        s.getTip().getX(), s.getTip().getY(), after);
            }
        }
        System.out.printf(Locale.ROOT, "%s against the frame as it is, by frame index 0..9: found %s, lost %s%n", other,
                Arrays.toString(mended), Arrays.toString(broken));
    }

    /** Each frame's answer in every view, in frame pixels: [view][frame]. */
    static List<List<TipPrediction>> views(TipNet net, List<DatasetSample> samples, List<TestTimeViews.View> seen)
            throws Exception {
        TipEncoding encoding = net.encoding(528, 406);
        List<List<TipPrediction>> views = new ArrayList<>();
        for (int v = 0; v < seen.size(); v++) {
            views.add(new ArrayList<>());
        }
        for (int start = 0; start < samples.size(); start += 32) {
            List<BufferedImage> frames = CandidateProbe.images(samples.subList(start, Math.min(samples.size(), start + 32)));
            INDArray input = FrameTensor.batch(frames, net.config().inputHeight(), net.config().inputWidth());
            for (int v = 0; v < seen.size(); v++) {
                TestTimeViews.View view = seen.get(v);
                views.get(v).addAll(net.locateViewed(frames, net.output(view.of(input)), encoding,
                        view.back(input, encoding)));
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
