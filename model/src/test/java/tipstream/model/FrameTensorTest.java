package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class FrameTensorTest {
    @Test
    void halvingAveragesTwoByTwoBlocksThenScalesToOne() {
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        frame.getRaster().setSample(0, 0, 0, 255);
        frame.getRaster().setSample(1, 0, 0, 255);
        frame.getRaster().setSample(0, 1, 0, 51);
        frame.getRaster().setSample(527, 405, 0, 204);
        float[] pixels = FrameTensor.pixels(frame, 203, 264);
        assertThat(pixels).hasSize(203 * 264);
        assertThat(pixels[0]).isCloseTo(140 / 255f, within(1e-6f)); // block mean 140.25, as an 8-bit pixel
        assertThat(pixels[203 * 264 - 1]).isCloseTo(51 / 255f, within(1e-6f));
        assertThat(pixels[1]).isZero();
    }

    @Test
    void batchIsNchwWithOneChannel() {
        BufferedImage a = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage b = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Arrays.fill(((java.awt.image.DataBufferByte) b.getRaster().getDataBuffer()).getData(), (byte) 255);
        NativeBackend.ensureReady();
        INDArray batch = FrameTensor.batch(List.of(a, b), 203, 264);
        assertThat(batch.shape()).containsExactly(2, 1, 203, 264);
        assertThat(batch.getDouble(0, 0, 10, 10)).isZero();
        assertThat(batch.getDouble(1, 0, 10, 10)).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void anArrayHoldsTheValuesRowMajorInItsShapeAndIsACopy() {
        NativeBackend.ensureReady();
        float[] values = new float[2 * 3 * 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        INDArray array = FrameTensor.array(values, 2, 1, 3, 4);
        values[23] = -1;
        assertThat(array.shape()).containsExactly(2, 1, 3, 4);
        assertThat(array.getFloat(0, 0, 0, 1)).isEqualTo(0.5f);
        assertThat(array.getFloat(0, 0, 2, 3)).isEqualTo(5.5f); // (2 * 4 + 3) * 0.5
        assertThat(array.getFloat(1, 0, 2, 3)).isEqualTo(11.5f); // the last value, as it was when copied
        assertThat(array.sumNumber().doubleValue()).isCloseTo(0.5 * 23 * 24 / 2, within(1e-3));
        assertThatThrownBy(() -> FrameTensor.array(new float[23], 2, 1, 3, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("23 values for an array of shape [2, 1, 3, 4]");
    }

    @Test
    void aStandardisedShapeTakesEachImageAtZeroMeanAndUnitVariance() {
        NativeBackend.ensureReady();
        // image 0: 0, 0, 1, 1 (mean 0.5, standard deviation 0.5); image 1: flat 0.7
        INDArray batch = org.nd4j.linalg.factory.Nd4j.create(new float[] {0, 0, 1, 1, 0.7f, 0.7f, 0.7f, 0.7f},
                new long[] {2, 1, 2, 2});
        TipNetConfig standardised = TipNetConfig.heatmap();
        assertThat(standardised.standardised()).isTrue();
        INDArray input = FrameTensor.input(batch, standardised);
        double scaled = 0.5 / (0.5 + FrameTensor.STD_FLOOR);
        assertThat(input.getDouble(0, 0, 0, 0)).isCloseTo(-scaled, within(1e-6));
        assertThat(input.getDouble(0, 0, 1, 1)).isCloseTo(scaled, within(1e-6));
        assertThat(input.getDouble(1, 0, 0, 1)).isCloseTo(0, within(1e-6)); // a flat image stays finite: all 0
        assertThat(input.shape()).containsExactly(2, 1, 2, 2);
        assertThat(batch.getDouble(0, 0, 1, 1)).isEqualTo(1.0); // the batch itself is left as it was
        assertThat(FrameTensor.input(batch, TipNetConfig.grid())).isSameAs(batch);
    }

    @Test
    void aViewOrADoubleBatchIsStandardisedAsItsFloatCopy() {
        NativeBackend.ensureReady();
        INDArray all = org.nd4j.linalg.factory.Nd4j.create(new float[] {9, 9, 9, 9, 0, 0, 1, 1, 0.2f, 0.4f, 0.6f, 0.8f},
                new long[] {3, 1, 2, 2});
        INDArray lastTwo = all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
        assertThat(lastTwo.isView()).isTrue();
        INDArray expected = FrameTensor.input(lastTwo.dup(), TipNetConfig.heatmap());
        assertThat(FrameTensor.input(lastTwo, TipNetConfig.heatmap())).isEqualTo(expected);
        INDArray doubles = FrameTensor.input(lastTwo.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE), TipNetConfig.heatmap());
        assertThat(doubles.dataType()).isEqualTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        assertThat(doubles).isEqualTo(expected);
        // image 2 of the batch: 0.2 .. 0.8, mean 0.5, standard deviation sqrt(0.05)
        assertThat(expected.getDouble(1, 0, 1, 1)).isCloseTo(0.3 / (Math.sqrt(0.05) + FrameTensor.STD_FLOOR), within(1e-5));
    }

    @Test
    void behindAStrideFourStemTheFrameIsFoldedTwoByTwoIntoFourChannels() {
        NativeBackend.ensureReady();
        float[] ramp = new float[12];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = i;
        }
        INDArray batch = org.nd4j.linalg.factory.Nd4j.create(ramp, new long[] {1, 1, 3, 4}); // rows 0-3, 4-7, 8-11
        TipNetConfig raw = new TipNetConfig(TipNetConfig.Head.HEATMAP, 3, 4, 8, java.util.List.of(16), java.util.List.of(),
                16, java.util.List.of(1), 1e-3, 7, 1.0, 1.0, 4, false);
        INDArray folded = FrameTensor.input(batch, raw);
        assertThat(folded.shape()).containsExactly(1, 4, 2, 2); // three rows padded to four
        // channel 2 dy + dx holds the pixels at (2 y + dy, 2 x + dx); the padded row is 0
        assertThat(folded.data().asFloat()).containsExactly(0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 0, 0, 5, 7, 0, 0);
        TipNetConfig standardised = new TipNetConfig(raw.head(), 3, 4, 8, raw.stageChannels(), raw.deepChannels(),
                raw.contextChannels(), raw.contextDilations(), raw.learningRate(), raw.seed(), raw.presenceWeight(),
                raw.positionWeight(), 4, false, 0, 0, true);
        INDArray both = FrameTensor.input(batch, standardised);
        double std = Math.sqrt((12 * 12 - 1) / 12.0); // of 0..11
        assertThat(both.getDouble(0, 1, 1, 1)).isCloseTo((11 - 5.5) / (std + FrameTensor.STD_FLOOR), within(1e-5));
        assertThat(both.getDouble(0, 3, 1, 1)).isZero(); // padding is the image's mean
    }
}
