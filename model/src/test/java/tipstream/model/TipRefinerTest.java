package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tipstream.dataset.FrameResize;
import tipstream.dataset.RandomAugmentation;

class TipRefinerTest {
    /** Only the view moves (shift, scale, rotation, keystone): the dot stays a dot to find. */
    private static final RandomAugmentation VIEW_ONLY = new RandomAugmentation(
            new RandomAugmentation.Settings(0.15, 1.25, 25, 0, 0.12, 0, 1.5, 0, 7, 1.0, 1.0, 0, 0, 8));

    @Test
    void cutsTheWindowAndRepeatsTheEdgeBeyondTheFrame() {
        BufferedImage image = new BufferedImage(10, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 10; x++) {
                image.getRaster().setSample(x, y, 0, x + 10 * y);
            }
        }
        BufferedImage inside = TipRefiner.cut(image, 3, 2, 4);
        assertThat(inside.getRaster().getSample(0, 0, 0)).isEqualTo(23);
        assertThat(inside.getRaster().getSample(3, 3, 0)).isEqualTo(56);
        BufferedImage corner = TipRefiner.cut(image, -2, 5, 4);
        assertThat(corner.getRaster().getSample(0, 0, 0)).as("left of the frame: its left edge").isEqualTo(50);
        assertThat(corner.getRaster().getSample(2, 0, 0)).isEqualTo(50);
        assertThat(corner.getRaster().getSample(3, 1, 0)).isEqualTo(61);
        assertThat(corner.getRaster().getSample(3, 3, 0)).as("below the frame: its bottom edge").isEqualTo(71);
    }

    @Test
    void everyWindowIsTheFramesPixelsWithTheNearestEdgePixelBeyondIt() {
        Random random = new Random(5);
        BufferedImage image = new BufferedImage(13, 9, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 13; x++) {
                image.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        // windows inside, across each edge and corner, wider than the frame, and wholly beside it
        for (int ox = -20; ox <= 20; ox += 3) {
            for (int oy = -15; oy <= 15; oy += 3) {
                for (int size : new int[] {1, 5, 30}) {
                    BufferedImage window = TipRefiner.cut(image, ox, oy, size, size + 2);
                    for (int y = 0; y < size + 2; y++) {
                        for (int x = 0; x < size; x++) {
                            int expected = image.getRaster().getSample(Math.max(0, Math.min(12, ox + x)),
                                    Math.max(0, Math.min(8, oy + y)), 0);
                            assertThat(window.getRaster().getSample(x, y, 0)).as("window at (%d, %d), pixel (%d, %d)",
                                    ox, oy, x, y).isEqualTo(expected);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aTrainingCropHoldsTheTipWhereItsPixelsAreWithinTheJitterOfItsCentreOrIsANearMiss() {
        BufferedImage frame = frame(528, 406, 200.5, 150.5, new Random(1));
        Random random = new Random(2);
        int nearMisses = 0;
        for (int i = 0; i < 200; i++) {
            TipRefiner.Drawn crop = TipRefiner.draw(frame, true, 200.5, 150.5, 528, 406, 64, Optional.empty(), random);
            assertThat(crop.image().getWidth()).isEqualTo(64);
            boolean centred = crop.visible() && Math.abs(crop.x() - 32) <= TipRefiner.JITTER_PX + 0.5
                    && Math.abs(crop.y() - 32) <= TipRefiner.JITTER_PX + 0.5;
            if (!centred) {
                // a near miss: centred at least half a crop from the tip, which is off centre or out of view
                nearMisses++;
                if (crop.visible()) {
                    assertThat(Math.hypot(crop.x() - 32, crop.y() - 32)).isGreaterThanOrEqualTo(31.5);
                } else {
                    assertThat(brightCentre(crop.image())).isNull();
                    continue;
                }
            }
            double[] dot = brightCentre(crop.image());
            assertThat(dot[0]).isCloseTo(crop.x(), within(0.01));
            assertThat(dot[1]).isCloseTo(crop.y(), within(0.01));
        }
        assertThat(nearMisses).as("about %.0f %% of 200", 100 * TipRefiner.NEAR_MISS_SHARE).isBetween(40, 80);
    }

    @Test
    void theRefinersPriorHasTheSpreadOfTheTipOnItsTrainingCrops() {
        BufferedImage frame = frame(528, 406, 200.5, 150.5, new Random(1));
        Random random = new Random(3);
        double squares = 0;
        int centred = 0;
        for (int i = 0; i < 4000; i++) {
            TipRefiner.Drawn crop = TipRefiner.draw(frame, true, 200.5, 150.5, 528, 406, 80, Optional.empty(), random);
            double dx = crop.x() - 40;
            double dy = crop.y() - 40;
            double edge = TipRefiner.JITTER_PX + 0.5;
            if (crop.visible() && Math.abs(dx) <= edge && Math.abs(dy) <= edge) { // not a near miss
                squares += dx * dx;
                centred++;
            }
        }
        assertThat(Math.sqrt(squares / centred)).isCloseTo(TipRefiner.PRIOR_SIGMA_PX, within(0.5));
        assertThat(TipRefiner.PRIOR_SIGMA_PX).isCloseTo(11.55, within(0.01));
    }

    @Test
    void anAugmentedCropMovesTheTipWithItsPixels() {
        BufferedImage frame = frame(528, 406, 300.5, 100.5, new Random(1));
        Random random = new Random(3);
        int seen = 0;
        for (int i = 0; i < 60; i++) {
            TipRefiner.Drawn crop = TipRefiner.draw(frame, true, 300.5, 100.5, 528, 406, 64, Optional.of(VIEW_ONLY),
                    random);
            assertThat(crop.image().getWidth()).isEqualTo(64);
            if (crop.visible() && crop.x() > 3 && crop.y() > 3 && crop.x() < 61 && crop.y() < 61) {
                seen++;
                double[] dot = brightCentre(crop.image());
                assertThat(Math.hypot(dot[0] - crop.x(), dot[1] - crop.y())).as("draw %d", i).isLessThan(1.0);
            }
        }
        assertThat(seen).isGreaterThan(40);
    }

    @Test
    void aSampleStoredSmallerThanTheFrameIsCroppedAtTheFramesScale() {
        BufferedImage half = FrameResize.to(frame(528, 406, 240.5, 180.5, new Random(1)), 264, 203);
        TipRefiner.Drawn crop = TipRefiner.draw(half, true, 240.5, 180.5, 528, 406, 64, Optional.empty(), new Random(4));
        double[] dot = brightCentre(crop.image());
        assertThat(Math.hypot(dot[0] - crop.x(), dot[1] - crop.y())).isLessThan(1.0);
    }

    @Test
    void aFrameWithoutATipGivesCropsFromAnywhereWithoutOne() {
        // grey level = 200 * x / width: a crop's mean tells where across the frame it was cut
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        for (int j = 0; j < 406; j++) {
            for (int i = 0; i < 528; i++) {
                frame.getRaster().setSample(i, j, 0, 200 * i / 528);
            }
        }
        Random random = new Random(5);
        double least = 255;
        double most = 0;
        for (int i = 0; i < 40; i++) {
            TipRefiner.Drawn crop = TipRefiner.draw(frame, false, -1, -1, 528, 406, 64, Optional.empty(), random);
            assertThat(crop.visible()).isFalse();
            assertThat(crop.x()).isEqualTo(-1);
            double mean = 0;
            for (int j = 0; j < 64; j++) {
                for (int k = 0; k < 64; k++) {
                    mean += crop.image().getRaster().getSample(k, j, 0) / (64.0 * 64);
                }
            }
            least = Math.min(least, mean);
            most = Math.max(most, mean);
        }
        assertThat(least).isLessThan(50);
        assertThat(most).isGreaterThan(150);
    }

    @Test
    void theFirstStagesConfusersAreItsPlacesThatACropAroundTheTipWouldNotHold() {
        List<TipEncoding.Candidate> places = List.of(new TipEncoding.Candidate(new TipPrediction(0.9, 100, 100), 0.7),
                new TipEncoding.Candidate(new TipPrediction(0.5, 130, 100), 0.2), // 30 px off: a 64 px crop holds the tip
                new TipEncoding.Candidate(new TipPrediction(0.3, 300, 200), 0.1));
        assertThat(TipRefiner.confusers(places, true, 101, 99, 64)).containsExactly(new TipPrediction(0.3, 300, 200));
        assertThat(TipRefiner.confusers(places, false, -1, -1, 64)).as("without a tip every place is a confusion")
                .hasSize(3);
    }

    @Test
    void cropsAwayFromTheTipGoToTheFirstStagesConfusersAsOftenAsTheirShareSays() {
        // a dark frame with one bright mark, the place the first stage confuses with the tip
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        frame.getRaster().setSample(400, 300, 0, 255);
        List<TipPrediction> confusers = List.of(new TipPrediction(0.8, 400.5, 300.5));
        Random random = new Random(8);
        int draws = 1000;
        int[] noTip = new int[2];
        int[] withTip = new int[2];
        for (int i = 0; i < draws; i++) {
            for (int known = 0; known < 2; known++) {
                List<TipPrediction> where = known == 1 ? confusers : List.of();
                noTip[known] += marked(TipRefiner.draw(frame, false, -1, -1, 528, 406, 64, where, Optional.empty(), random));
                withTip[known] += marked(TipRefiner.draw(frame, true, 100, 80, 528, 406, 64, where, Optional.empty(), random));
            }
        }
        // a crop centred within JITTER_PX (20) of the mark holds it; one anywhere does so 1.9 % of the time
        double anywhere = 64.0 * 64 / (528 * 406);
        assertThat(noTip[0] / (double) draws).isLessThan(0.04);
        assertThat(noTip[1] / (double) draws).isCloseTo(TipRefiner.CONFUSER_SHARE + (1 - TipRefiner.CONFUSER_SHARE)
                * anywhere, within(0.05));
        // of a tip frame's crops only the near misses go there (none of them reach 300 px away otherwise)
        assertThat(withTip[0]).isZero();
        assertThat(withTip[1] / (double) draws).isCloseTo(TipRefiner.NEAR_MISS_SHARE * TipRefiner.CONFUSER_SHARE,
                within(0.04));
    }

    /** 1 when the crop holds a bright pixel. */
    private static int marked(TipRefiner.Drawn crop) {
        for (int y = 0; y < crop.image().getHeight(); y++) {
            for (int x = 0; x < crop.image().getWidth(); x++) {
                if (crop.image().getRaster().getSample(x, y, 0) > 128) {
                    return 1;
                }
            }
        }
        return 0;
    }

    @Test
    void theRefinerPlacesTheTipAgainOnTheCropAroundTheFirstStagesGuessAndKeepsItsPresence() {
        TipNetConfig coarse = new TipNetConfig(TipNetConfig.Head.HEATMAP, 40, 48, 8, List.of(16), List.of(), 16,
                List.of(1), 3e-3, 7, 1.0, 1.0, 2, false, 0, 32);
        TipNet refiner = TipNet.build(TipRefiner.shape(coarse));
        assertThat(refiner.config().inputWidth()).isEqualTo(32);
        assertThat(refiner.config().refines()).isFalse();
        TipEncoding cropMap = refiner.encoding(32, 32);
        Random random = new Random(6);
        for (int step = 0; step < 300; step++) {
            List<BufferedImage> crops = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            for (int n = 0; n < 16; n++) {
                double x = 12 + 72 * random.nextDouble();
                double y = 12 + 56 * random.nextDouble();
                TipRefiner.Drawn crop = TipRefiner.draw(frame(96, 80, x, y, random), true, x, y, 96, 80, 32,
                        Optional.empty(), random);
                crops.add(crop.image());
                labels.add(cropMap.encode(crop.visible(), crop.x(), crop.y()));
            }
            refiner.fit(FrameTensor.batch(crops, 32, 32), FrameTensor.labels(labels, cropMap));
        }
        List<BufferedImage> frames = new ArrayList<>();
        List<TipPrediction> guesses = new ArrayList<>();
        List<double[]> truth = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
            double x = 12 + 72 * random.nextDouble();
            double y = 12 + 56 * random.nextDouble();
            frames.add(frame(96, 80, x, y, random));
            truth.add(new double[] {x, y});
            // a first stage that misses by up to 10 px, each frame with its own confidence
            guesses.add(new TipPrediction((n + 1) / 41.0, x + 20 * random.nextDouble() - 10, y + 20 * random.nextDouble() - 10));
        }
        List<TipPrediction> refined = TipRefiner.refine(refiner.averaged(), frames, guesses, 96, 80);
        double before = 0;
        double after = 0;
        for (int n = 0; n < 40; n++) {
            assertThat(refined.get(n).presence()).isEqualTo(guesses.get(n).presence());
            before += Math.hypot(guesses.get(n).x() - truth.get(n)[0], guesses.get(n).y() - truth.get(n)[1]) / 40;
            after += Math.hypot(refined.get(n).x() - truth.get(n)[0], refined.get(n).y() - truth.get(n)[1]) / 40;
        }
        assertThat(before).isGreaterThan(5);
        assertThat(after).as("mean miss before %.2f px, after %.2f px", before, after).isLessThan(1.5);

        // of a first stage's places, the one whose crop holds the tip wins over a stronger one 30 px off
        List<List<TipEncoding.Candidate>> candidates = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
            TipPrediction near = guesses.get(n);
            double wrongX = truth.get(n)[0] > 48 ? truth.get(n)[0] - 30 : truth.get(n)[0] + 30;
            candidates.add(List.of(new TipEncoding.Candidate(new TipPrediction(0.9, wrongX, truth.get(n)[1]), 0.6),
                    new TipEncoding.Candidate(near, 0.3)));
        }
        List<TipPrediction> chosen = TipRefiner.choose(refiner.averaged(), frames, candidates, 96, 80);
        int right = 0;
        for (int n = 0; n < 40; n++) {
            double miss = Math.hypot(chosen.get(n).x() - truth.get(n)[0], chosen.get(n).y() - truth.get(n)[1]);
            if (miss < 3) {
                right++;
                // both stages' presence: the first stage's at the place, the refiner's on its crop
                assertThat(chosen.get(n).presence()).isGreaterThan(0).isLessThanOrEqualTo(Math.sqrt(guesses.get(n).presence()));
            }
        }
        assertThat(right).isGreaterThanOrEqualTo(36);
    }

    @Test
    void ofTheFirstStagesPlacesThePlaceScoringBestIsChosenWithoutCroppingPlacesThatCannotWin() {
        // a stand-in refiner: its presence on a crop is the crop's centre pixel, its place the crop's centre
        TipNetConfig shape = TipRefiner.shape(TipNetConfig.heatmap().withRefineCrop(16));
        int[] cropsSeen = {0};
        TipRefiner.CropPlacer centre = new TipRefiner.CropPlacer() {
            @Override
            public TipNetConfig shape() {
                return shape;
            }

            @Override
            public List<TipPrediction> place(org.nd4j.linalg.api.ndarray.INDArray crops) {
                List<TipPrediction> placed = new ArrayList<>();
                for (int i = 0; i < crops.size(0); i++) {
                    placed.add(new TipPrediction(crops.getDouble(i, 0, 8, 8), 8, 8));
                }
                cropsSeen[0] += placed.size();
                return placed;
            }
        };
        Random random = new Random(11);
        int[][] places = {{12, 12}, {32, 24}, {52, 36}};
        List<BufferedImage> frames = new ArrayList<>();
        List<List<TipEncoding.Candidate>> candidates = new ArrayList<>();
        for (int n = 0; n < 200; n++) {
            // each place's presence painted at its centre; the others' shares around the strongest's score
            BufferedImage frame = new BufferedImage(64, 48, BufferedImage.TYPE_BYTE_GRAY);
            double lead = 0;
            List<TipEncoding.Candidate> options = new ArrayList<>();
            for (int c = 0; c < places.length; c++) {
                int value = c == 0 ? 10 + random.nextInt(246) : 128 + random.nextInt(128);
                frame.getRaster().setSample(places[c][0], places[c][1], 0, value);
                double share = c == 0 ? 0.2 + 0.7 * random.nextDouble() : lead * (0.5 + random.nextDouble());
                lead = c == 0 ? share * value / 255.0 : lead;
                options.add(new TipEncoding.Candidate(new TipPrediction(random.nextDouble(), places[c][0], places[c][1]),
                        share));
            }
            frames.add(frame);
            candidates.add(options);
        }
        List<TipPrediction> chosen = TipRefiner.choose(centre, frames, candidates, 64, 48);
        int seenByChoose = cropsSeen[0];
        int notTheStrongest = 0;
        for (int n = 0; n < frames.size(); n++) {
            // every place scored: the first of the best (share x the stand-in's presence on its crop)
            TipEncoding.Candidate best = null;
            TipPrediction at = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (TipEncoding.Candidate c : candidates.get(n)) {
                TipPrediction placed = centre.place(FrameTensor.batch(List.of(TipRefiner.cut(frames.get(n),
                        (int) Math.round(c.tip().x()) - 8, (int) Math.round(c.tip().y()) - 8, 16)), 16, 16)).get(0);
                if (c.share() * placed.presence() > bestScore) {
                    bestScore = c.share() * placed.presence();
                    best = c;
                    at = placed;
                }
            }
            assertThat(chosen.get(n).x()).as("frame %d", n).isCloseTo(Math.round(best.tip().x()) - 8 + at.x(), within(1e-9));
            assertThat(chosen.get(n).y()).as("frame %d", n).isCloseTo(Math.round(best.tip().y()) - 8 + at.y(), within(1e-9));
            assertThat(chosen.get(n).presence()).isCloseTo(Math.sqrt(best.tip().presence() * at.presence()), within(1e-6));
            notTheStrongest += best == candidates.get(n).get(0) ? 0 : 1;
        }
        assertThat(notTheStrongest).as("frames whose chosen place is not the strongest").isGreaterThan(50);
        assertThat(seenByChoose).as("crops the refiner saw").isLessThan(frames.size() * places.length);
    }

    /** Noise around 40 with a bright 3 x 3 dot centred at (x, y) (pixel i covers [i, i + 1)). */
    static BufferedImage frame(int width, int height, double x, double y, Random random) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int j = 0; j < height; j++) {
            for (int i = 0; i < width; i++) {
                int v = 40 + (int) (6 * random.nextGaussian());
                if (Math.abs(i + 0.5 - x) <= 1.5 && Math.abs(j + 0.5 - y) <= 1.5) {
                    v = 230;
                }
                image.getRaster().setSample(i, j, 0, Math.max(0, Math.min(255, v)));
            }
        }
        return image;
    }

    /** The centre of the pixels brighter than the noise, weighted by how much brighter; null when there are none. */
    private static double[] brightCentre(BufferedImage image) {
        double sum = 0;
        double sx = 0;
        double sy = 0;
        for (int j = 0; j < image.getHeight(); j++) {
            for (int i = 0; i < image.getWidth(); i++) {
                double w = Math.max(0, image.getRaster().getSample(i, j, 0) - 100);
                sum += w;
                sx += w * (i + 0.5);
                sy += w * (j + 0.5);
            }
        }
        return sum == 0 ? null : new double[] {sx / sum, sy / sum};
    }
}
