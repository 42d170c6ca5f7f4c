package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TipHeatmapTest {
    /** A map of 33 x 26 cells of 16 x 16 px over a 528 x 406 frame (output stride 8 at half resolution). */
    private final TipHeatmap map = new TipHeatmap(528, 406, 33, 26, 16, 16);

    @Test
    void knownAnswerAtTheFrameCentre() {
        assertThat(map.cols()).isEqualTo(33);
        assertThat(map.rows()).isEqualTo(26);
        // (264, 203) is (16.5, 12.6875) in cells: cell column 16, row 12
        float[] target = map.encode(true, 264, 203);
        double mass = 0;
        int best = 0;
        int weighted = 0;
        for (int i = 0; i < 33 * 26; i++) {
            mass += target[i];
            best = target[i] > target[best] ? i : best;
            weighted += target[33 * 26 + i] > 0 ? 1 : 0;
        }
        assertThat(mass).isCloseTo(1.0, within(1e-5));
        assertThat(best).isEqualTo(12 * 33 + 16);
        assertThat(weighted).as("offsets are regressed in the 3 x 3 cells around the tip").isEqualTo(9);
        assertThat(target[map.index(TipHeatmap.OFFSET_X, 12, 16)]).isEqualTo(0.5f);
        assertThat(target[map.index(TipHeatmap.OFFSET_Y, 12, 16)]).isEqualTo(0.6875f);
        // the left neighbour sees the tip one and a half cells right of its corner
        assertThat(target[map.index(TipHeatmap.OFFSET_X, 12, 15)]).isEqualTo(1.5f);
        assertThat(target[map.index(TipHeatmap.OFFSET_Y, 13, 16)]).isEqualTo(-0.3125f);
        assertThat(target[map.index(TipHeatmap.OFFSET_WEIGHT, 12, 18)]).isZero();
        // the distribution is a Gaussian of the distance to the cell centres: (16, 12) is 0.1875 cells
        // away, (16, 13) 0.8125 cells
        double ratio = target[map.index(TipHeatmap.HEAT, 13, 16)] / target[map.index(TipHeatmap.HEAT, 12, 16)];
        double sigma = TipHeatmap.SIGMA_CELLS;
        assertThat(ratio).isCloseTo(Math.exp(-(0.8125 * 0.8125 - 0.1875 * 0.1875) / (2 * sigma * sigma)), within(1e-5));
    }

    @Test
    void candidatesAreTheStrongestPeaksAtLeastTwoCellsApartWithTheirShareOfTheHeat() {
        int cells = 33 * 26;
        float[] logits = new float[TipHeatmap.CHANNELS * cells]; // heat 0 everywhere, offsets 0
        logits[map.index(TipHeatmap.HEAT, 10, 10)] = 5; // the strongest place
        logits[map.index(TipHeatmap.HEAT, 11, 12)] = 4; // two cells from it: part of the same peak
        logits[map.index(TipHeatmap.HEAT, 20, 30)] = 3; // the second place
        logits[map.index(TipHeatmap.HEAT, 2, 3)] = 2; // the third
        logits[map.index(TipHeatmap.PRESENCE, 20, 30)] = 2;
        var candidates = map.candidates(logits, 3);
        assertThat(candidates).hasSize(3);
        double sum = Math.exp(5) + Math.exp(4) + Math.exp(3) + Math.exp(2) + (cells - 4);
        // each decoded as decode decodes its cell: offsets 0 point at the cells' corners, weighted by the heat
        assertThat(candidates.get(0).tip()).isEqualTo(map.decode(logits));
        assertThat(candidates.get(0).share()).isCloseTo(Math.exp(5) / sum, within(1e-6));
        assertThat(candidates.get(1).share()).isCloseTo(Math.exp(3) / sum, within(1e-6));
        assertThat(candidates.get(1).tip().x()).isCloseTo(30 * 16, within(0.5));
        assertThat(candidates.get(1).tip().y()).isCloseTo(20 * 16, within(0.5));
        assertThat(candidates.get(1).tip().presence()).isCloseTo(1 / (1 + Math.exp(-2)), within(1e-6));
        assertThat(candidates.get(2).share()).isCloseTo(Math.exp(2) / sum, within(1e-6));
        assertThat(candidates.get(2).tip().y()).isCloseTo(2 * 16, within(0.5));
        // a flat heat has no peak but its first cell
        assertThat(map.candidates(new float[TipHeatmap.CHANNELS * cells], 3)).hasSize(1);
    }

    @Test
    void decodingNearAPlaceWeighsTheHeatByAGaussianAroundIt() {
        int cells = 33 * 26;
        float[] logits = new float[TipHeatmap.CHANNELS * cells]; // offsets 0: a cell decodes near its corner
        logits[map.index(TipHeatmap.HEAT, 10, 10)] = 2; // centre (168, 168)
        logits[map.index(TipHeatmap.HEAT, 10, 13)] = 1; // centre (216, 168)
        logits[map.index(TipHeatmap.PRESENCE, 10, 13)] = 3;
        assertThat(map.decode(logits).x()).isCloseTo(160, within(1.0));
        // near (210, 168) with sigma 16: 2 - 42^2 / 512 = -1.45 against 1 - 6^2 / 512 = 0.93
        TipPrediction near = map.decodeNear(logits, 210, 168, 16);
        assertThat(near.x()).isCloseTo(208, within(1.0));
        assertThat(near.y()).isCloseTo(160, within(1.0));
        assertThat(near.presence()).as("read where the tip is placed").isCloseTo(1 / (1 + Math.exp(-3)), within(1e-6));
        // with sigma 40: 2 - 42^2 / 3200 = 1.45 against 0.99, the stronger cell
        assertThat(map.decodeNear(logits, 210, 168, 40)).isEqualTo(map.decode(logits));
    }

    @Test
    void noTipIsAllZeros() {
        float[] target = map.encode(false, -1, -1);
        for (float v : target) {
            assertThat(v).isZero();
        }
    }

    @Test
    void tipsOnTheEdgesAndOutside() {
        float[] corner = map.encode(true, 528, 406);
        // 528 px is 33 cells: the last column, one cell right of its corner; 406 px is row 25.375
        assertThat(corner[map.index(TipHeatmap.OFFSET_X, 25, 32)]).isEqualTo(1f);
        assertThat(corner[map.index(TipHeatmap.OFFSET_Y, 25, 32)]).isEqualTo(0.375f);
        assertThat(map.encode(true, 0, 0)[map.index(TipHeatmap.OFFSET_WEIGHT, 0, 0)]).isEqualTo(1f);
        assertThatThrownBy(() -> map.encode(true, 528.5, 10)).hasMessageContaining("outside");
        assertThatThrownBy(() -> map.encode(true, Double.NaN, 10)).hasMessageContaining("outside");
        assertThatThrownBy(() -> new TipHeatmap(528, 406, 33, 25, 16, 16)).hasMessageContaining("does not cover");
    }

    @Test
    void decodingTheTargetGivesTheTipBackEverywhere() {
        for (double x = 0; x <= 528; x += 13.7) {
            for (double y = 0; y <= 406; y += 11.3) {
                TipPrediction back = map.decode(logitsOf(map.encode(true, x, y), 6f));
                assertThat(back.x()).isCloseTo(x, within(1e-3));
                assertThat(back.y()).isCloseTo(y, within(1e-3));
                assertThat(back.presence()).isGreaterThan(0.99);
            }
        }
    }

    @Test
    void presenceIsTheMostConfidentCellAroundWhereTheHeatPlacesTheTip() {
        float[] logits = new float[4 * 33 * 26];
        java.util.Arrays.fill(logits, 33 * 26, 2 * 33 * 26, -30f);
        logits[map.index(TipHeatmap.HEAT, 3, 4)] = 5f; // the tip is placed in cell (3, 4)
        logits[map.index(TipHeatmap.PRESENCE, 4, 5)] = 0.5f; // a neighbour of it is fairly sure
        logits[map.index(TipHeatmap.PRESENCE, 3, 4)] = -0.5f;
        logits[map.index(TipHeatmap.PRESENCE, 9, 9)] = 4f; // a decoy far away is surer: not the tip we place
        assertThat(map.decode(logits).presence()).isCloseTo(1 / (1 + Math.exp(-0.5)), within(1e-6));
        logits[map.index(TipHeatmap.PRESENCE, 4, 5)] = -30f;
        logits[map.index(TipHeatmap.PRESENCE, 2, 3)] = 1.5f; // the other corner of the 3 x 3 counts too
        assertThat(map.decode(logits).presence()).isCloseTo(1 / (1 + Math.exp(-1.5)), within(1e-6));
        logits[map.index(TipHeatmap.PRESENCE, 2, 3)] = -30f;
        logits[map.index(TipHeatmap.PRESENCE, 1, 4)] = 1.5f; // two cells away does not
        assertThat(map.decode(logits).presence()).isCloseTo(1 / (1 + Math.exp(0.5)), within(1e-6));
    }

    @Test
    void thePeakAndItsNeighboursPointersAreAveragedByTheirHeat() {
        float[] logits = new float[4 * 33 * 26];
        java.util.Arrays.fill(logits, 0, 33 * 26, -50f); // cells far from the peak weigh nothing
        int cells = 33 * 26;
        for (int i = 0; i < cells; i++) { // every cell points at its own corner unless told otherwise
            logits[2 * cells + i] = 0;
            logits[3 * cells + i] = 0;
        }
        logits[map.index(TipHeatmap.HEAT, 10, 20)] = 2f; // the peak: points at (20.5, 10.5) cells
        logits[map.index(TipHeatmap.OFFSET_X, 10, 20)] = 0.5f;
        logits[map.index(TipHeatmap.OFFSET_Y, 10, 20)] = 0.5f;
        logits[map.index(TipHeatmap.HEAT, 10, 21)] = 2f; // as likely a neighbour: points at (20.7, 10.5)
        logits[map.index(TipHeatmap.OFFSET_X, 10, 21)] = -0.3f;
        logits[map.index(TipHeatmap.OFFSET_Y, 10, 21)] = 0.5f;
        logits[map.index(TipHeatmap.HEAT, 11, 20)] = 2f - (float) Math.log(2); // half as likely: (20.1, 11.2)
        logits[map.index(TipHeatmap.OFFSET_X, 11, 20)] = 0.1f;
        logits[map.index(TipHeatmap.OFFSET_Y, 11, 20)] = 0.2f;
        TipPrediction p = map.decode(logits);
        // weights 1 : 1 : 0.5 (the other neighbours e^-52: nothing)
        assertThat(p.x()).isCloseTo((20.5 + 20.7 + 0.5 * 20.1) / 2.5 * 16, within(1e-4));
        assertThat(p.y()).isCloseTo((10.5 + 10.5 + 0.5 * 11.2) / 2.5 * 16, within(1e-4));
    }

    @Test
    void decodingClampsToTheFrame() {
        float[] logits = new float[4 * 33 * 26];
        logits[map.index(TipHeatmap.HEAT, 25, 32)] = 5f;
        logits[map.index(TipHeatmap.OFFSET_X, 25, 32)] = 3f;
        logits[map.index(TipHeatmap.OFFSET_Y, 25, 32)] = 3f;
        TipPrediction p = map.decode(logits);
        assertThat(p.x()).isEqualTo(528.0);
        assertThat(p.y()).isEqualTo(406.0);
    }

    /** Network output a perfect model would give: the target's heat as logits, confident presence, exact offsets. */
    static float[] logitsOf(float[] target, float presenceLogit) {
        int cells = target.length / 4;
        float[] logits = target.clone();
        for (int i = 0; i < cells; i++) {
            logits[i] = (float) Math.log(target[i] + 1e-30);
            logits[cells + i] = presenceLogit;
        }
        return logits;
    }
}
