package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TipGridTest {
    private final TipGrid grid = new TipGrid(528, 406, 7, 5);

    @Test
    void backgroundExample() {
        // BACKGROUND.md: a tip at (264, 203) in a 528 x 406 frame, 7 x 5 grid: column 3, row 2, offsets 0.5, 0.5
        TipGrid.Cell cell = grid.cellOf(264, 203);
        assertThat(cell.col()).isEqualTo(3);
        assertThat(cell.row()).isEqualTo(2);
        assertThat(cell.offsetX()).isCloseTo(0.5, within(1e-12));
        assertThat(cell.offsetY()).isCloseTo(0.5, within(1e-12));

        float[] target = grid.encode(true, 264, 203);
        assertThat(target[grid.index(TipGrid.PRESENCE, 2, 3)]).isEqualTo(1f);
        assertThat(target[grid.index(TipGrid.OFFSET_X, 2, 3)]).isEqualTo(0.5f);
        assertThat(target[grid.index(TipGrid.OFFSET_Y, 2, 3)]).isEqualTo(0.5f);
        double sum = 0;
        for (float v : target) {
            sum += v;
        }
        assertThat(sum).as("every other cell is zero").isEqualTo(2.0);

        TipPrediction back = grid.decode(logits(target));
        assertThat(back.presence()).isEqualTo(1.0);
        assertThat(back.x()).isCloseTo(264, within(1e-4));
        assertThat(back.y()).isCloseTo(203, within(1e-4));
    }

    @Test
    void cellBordersBelongToTheNextCell() {
        double cw = 528.0 / 7;
        double ch = 406.0 / 5;
        TipGrid.Cell border = grid.cellOf(cw, ch);
        assertThat(border.col()).isEqualTo(1);
        assertThat(border.row()).isEqualTo(1);
        assertThat(border.offsetX()).isCloseTo(0, within(1e-9));
        assertThat(border.offsetY()).isCloseTo(0, within(1e-9));
    }

    @Test
    void frameEdges() {
        TipGrid.Cell origin = grid.cellOf(0, 0);
        assertThat(origin).isEqualTo(new TipGrid.Cell(0, 0, 0, 0));
        TipGrid.Cell corner = grid.cellOf(528, 406);
        assertThat(corner.col()).isEqualTo(6);
        assertThat(corner.row()).isEqualTo(4);
        assertThat(corner.offsetX()).isCloseTo(1, within(1e-9));
        assertThat(corner.offsetY()).isCloseTo(1, within(1e-9));
        TipPrediction back = grid.decode(logits(grid.encode(true, 528, 406)));
        assertThat(back.x()).isCloseTo(528, within(1e-3));
        assertThat(back.y()).isCloseTo(406, within(1e-3));
        assertThatThrownBy(() -> grid.cellOf(528.5, 10)).hasMessageContaining("outside");
        assertThatThrownBy(() -> grid.cellOf(Double.NaN, 10)).hasMessageContaining("outside");
    }

    @Test
    void noTipIsAllZeros() {
        for (float v : grid.encode(false, -1, -1)) {
            assertThat(v).isZero();
        }
    }

    @Test
    void encodeDecodeRoundTripsEverywhere() {
        TipGrid fine = new TipGrid(528, 406, 33, 25);
        for (double x = 0; x <= 528; x += 13.7) {
            for (double y = 0; y <= 406; y += 11.3) {
                TipPrediction back = fine.decode(logits(fine.encode(true, x, y)));
                assertThat(back.x()).isCloseTo(x, within(1e-3));
                assertThat(back.y()).isCloseTo(y, within(1e-3));
            }
        }
    }

    @Test
    void decodeTakesTheMostConfidentCellAndKeepsOffsetsInside() {
        float[] output = new float[3 * 5 * 7];
        output[grid.index(TipGrid.PRESENCE, 0, 0)] = -0.8f;
        output[grid.index(TipGrid.PRESENCE, 4, 6)] = 2.2f;
        output[grid.index(TipGrid.OFFSET_X, 4, 6)] = 40f;
        output[grid.index(TipGrid.OFFSET_Y, 4, 6)] = -40f;
        TipPrediction p = grid.decode(output);
        assertThat(p.presence()).isCloseTo(1 / (1 + Math.exp(-2.2)), within(1e-6));
        assertThat(p.x()).isCloseTo(528, within(1e-9));
        assertThat(p.y()).isCloseTo(4 * 406.0 / 5, within(1e-9));
    }

    /** The logits whose sigmoids are the target (0 and 1 become -inf and +inf). */
    private static float[] logits(float[] target) {
        float[] out = new float[target.length];
        for (int i = 0; i < target.length; i++) {
            out[i] = (float) Math.log(target[i] / (1.0 - target[i]));
        }
        return out;
    }
}
