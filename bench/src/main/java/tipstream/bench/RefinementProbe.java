package tipstream.bench;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.RandomAugmentation;
import tipstream.eval.CheckpointEvaluator;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipNet;
import tipstream.model.TipRefiner;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;

/**
 * Would a second stage on a full-resolution crop around the first stage's tip place it better?
 * Trains {@link TipRefiner}'s network alone, as the trainer draws its crops, on the training frames
 * of a dataset stored at full size, then scores a checkpoint's first-stage eval predictions as they
 * are and with their position refined on the crop around them (presence is the first stage's):
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.RefinementProbe \
 *   CHECKPOINT FULL_SIZE_DATASET [minutes]
 * </pre>
 * (a full-size copy of a dataset stored at half size: {@link FullSizeDataset}).
 */
public final class RefinementProbe {
    static final int BATCH = 32;

    public static void main(String[] args) throws Exception {
        TipNet first = TipNet.forInference(Files.readAllBytes(Path.of(args[0])));
        double minutes = args.length > 2 ? Double.parseDouble(args[2]) : 2;
        Path dataset = Path.of(args[1]);
        List<DatasetSample> train = StoredDataset.samples(dataset, "train");
        List<DatasetSample> validation = StoredDataset.samples(dataset, "validation");
        List<DatasetSample> eval = StoredDataset.samples(dataset, "eval");
        List<BufferedImage> trainImages = images(train);
        List<BufferedImage> evalImages = images(eval);
        List<BufferedImage> validationImages = images(validation);
        System.out.printf(Locale.ROOT, "%d train, %d validation, %d eval frames of %d x %d%n", train.size(),
                validation.size(), eval.size(), trainImages.get(0).getWidth(), trainImages.get(0).getHeight());
        TipEncoding firstMap = first.encoding(528, 406);
        List<TipPrediction> firstEval = predict(first, evalImages, firstMap);
        List<TipPrediction> firstValidation = predict(first, validationImages, firstMap);
        report("first stage", eval, firstEval, validation, firstValidation);
        bias(eval, firstEval);

        TipNet crop = TipNet.build(TipRefiner.shape(first.config().refines() ? first.config()
                : first.config().withRefineCrop(TipRefiner.DEFAULT_CROP)));
        int size = crop.config().inputWidth();
        TipEncoding cropMap = crop.encoding(size, size);
        System.out.printf(Locale.ROOT, "refiner %s, %d params, %.1f min%n", crop.config(), crop.parameterCount(), minutes);
        Random random = new Random(5);
        Optional<RandomAugmentation> augmentation = Optional.of(new RandomAugmentation(RandomAugmentation.standard()));
        double seconds = 0;
        double drawing = 0;
        int step = 0;
        double loss = Double.NaN;
        while (seconds < minutes * 60) {
            long t0 = System.nanoTime();
            List<BufferedImage> crops = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (int n = 0; n < BATCH; n++) {
                int i = random.nextInt(train.size());
                DatasetSample s = train.get(i);
                TipRefiner.Drawn drawn = TipRefiner.draw(trainImages.get(i), s.getVisible(), s.getTip().getX(),
                        s.getTip().getY(), 528, 406, size, augmentation, random);
                crops.add(drawn.image());
                labels.add(cropMap.encode(drawn.visible(), drawn.x(), drawn.y()));
            }
            long t1 = System.nanoTime();
            drawing += (t1 - t0) / 1e9;
            step++;
            crop.setLearningRate(seconds < 0.7 * minutes * 60 ? 1e-3 : 2e-4);
            loss = crop.fit(FrameTensor.batch(crops, size, size), FrameTensor.labels(labels, cropMap));
            seconds += (System.nanoTime() - t1) / 1e9;
            if (step % 200 == 0) {
                System.out.printf(Locale.ROOT, "step %d: %.1f s training, %.1f s drawing, loss %.3f%n", step, seconds,
                        drawing, loss);
            }
        }
        System.out.printf(Locale.ROOT, "refiner: %d steps of %d in %.1f s (drawing %.1f s), loss %.3f%n", step, BATCH,
                seconds, drawing, loss);
        TipNet averaged = crop.averaged();
        List<TipPrediction> refinedEval = TipRefiner.refine(averaged, evalImages, firstEval, 528, 406);
        List<TipPrediction> refinedValidation = TipRefiner.refine(averaged, validationImages, firstValidation, 528, 406);
        report("refined on the crop", eval, refinedEval, validation, refinedValidation);
        bias(eval, refinedEval);
    }

    static List<BufferedImage> images(List<DatasetSample> samples) throws Exception {
        List<BufferedImage> out = new ArrayList<>();
        for (DatasetSample s : samples) {
            out.add(PngFrameCodec.decodeStored(s.getPng().toByteArray()));
        }
        return out;
    }

    static List<TipPrediction> predict(TipNet net, List<BufferedImage> images, TipEncoding map) {
        List<TipPrediction> out = new ArrayList<>();
        for (int start = 0; start < images.size(); start += 25) {
            List<BufferedImage> batch = images.subList(start, Math.min(images.size(), start + 25));
            INDArray output = net.output(
                    FrameTensor.batch(batch, net.config().inputHeight(), net.config().inputWidth()));
            for (int i = 0; i < batch.size(); i++) {
                out.add(map.decode(output.get(NDArrayIndex.point(i)).dup().data().asFloat()));
            }
        }
        return out;
    }

    static void report(String name, List<DatasetSample> eval, List<TipPrediction> evalPredictions,
            List<DatasetSample> validation, List<TipPrediction> validationPredictions) {
        var v = new CheckpointEvaluator.Scored(validation, validationPredictions, Double.NaN);
        var e = new CheckpointEvaluator.Scored(eval, evalPredictions, Double.NaN);
        double threshold = v.calibratedThreshold();
        var t = e.evaluate(threshold).metrics();
        System.out.printf(Locale.ROOT, "%-22s thr %.3f dist %.2f point %.3f prob %.3f overall %.3f locmed %.2f loc10 %.3f%n",
                name, threshold, t.distMean(), t.pointMean(), t.probMean(), t.overallMean(), t.localisationDistMedian(),
                t.localisationWithinTolerance());
        DecodeProbe.errors(eval, evalPredictions, threshold);
    }

    /** The mean signed error of the tips placed within 10 px: a systematic shift would show here. */
    static void bias(List<DatasetSample> eval, List<TipPrediction> predictions) {
        double dx = 0;
        double dy = 0;
        int n = 0;
        for (int i = 0; i < eval.size(); i++) {
            DatasetSample s = eval.get(i);
            TipPrediction p = predictions.get(i);
            double ex = p.x() - s.getTip().getX();
            double ey = p.y() - s.getTip().getY();
            if (s.getVisible() && Math.hypot(ex, ey) <= 10) {
                dx += ex;
                dy += ey;
                n++;
            }
        }
        System.out.printf(Locale.ROOT, "%-22s mean signed error of %d tips within 10 px: dx %+.2f dy %+.2f px%n", "", n,
                dx / n, dy / n);
    }
}
