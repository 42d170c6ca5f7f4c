package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EncoderPretrainingTest {
    /** A small heatmap net on 40 x 35 frames: a stride-2 stem and one stage, a 10 x 9 map (overhang cropped). */
    private static final TipNetConfig SMALL = new TipNetConfig(TipNetConfig.Head.HEATMAP, 35, 40, 8, List.of(16),
            List.of(), 16, List.of(1), 3e-3, 7, 1.0, 1.0, 2, false);

    /** Frames of smooth stripes at random phases: the masked blocks can be told from their surroundings. */
    private static INDArray stripes(Random random, int n) {
        float[] pixels = new float[n * 35 * 40];
        for (int f = 0; f < n; f++) {
            double phase = random.nextDouble() * 2 * Math.PI;
            for (int y = 0; y < 35; y++) {
                for (int x = 0; x < 40; x++) {
                    pixels[f * 35 * 40 + y * 40 + x] = (float) (0.5 + 0.4 * Math.sin(x * 0.4 + phase));
                }
            }
        }
        return Nd4j.create(pixels, new long[] {n, 1, 35, 40}, DataType.FLOAT);
    }

    @Test
    void masksWholeBlocksToTheFramesMeanAndNothingElse() {
        INDArray frames = Nd4j.create(new float[] {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, new long[] {1, 1, 3, 4},
                DataType.FLOAT);
        assertThat(EncoderPretraining.mask(frames, 0, new Random(1))).isEqualTo(frames);
        // blocks of 16 px: one block covers this 3 x 4 frame, so a masked frame is its mean everywhere
        INDArray masked = EncoderPretraining.mask(frames, 0.999999, new Random(1));
        assertThat(masked.data().asFloat()).containsOnly(0.5f);
        assertThat(frames.getFloat(0, 0, 0, 1)).as("the input is left alone").isEqualTo(1f);

        INDArray large = stripes(new Random(2), 4);
        INDArray half = EncoderPretraining.mask(large, 0.5, new Random(3));
        long changed = 0;
        for (int f = 0; f < 4; f++) {
            float mean = large.get(org.nd4j.linalg.indexing.NDArrayIndex.point(f)).meanNumber().floatValue();
            for (int y = 0; y < 35; y++) {
                for (int x = 0; x < 40; x++) {
                    float v = half.getFloat(f, 0, y, x);
                    if (v != large.getFloat(f, 0, y, x)) {
                        changed++;
                        assertThat(v).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-5f));
                        // the whole block is blanked
                        int bx = x / 16 * 16;
                        int by = y / 16 * 16;
                        assertThat(half.getFloat(f, 0, by, bx)).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-5f));
                    }
                }
            }
        }
        // 9 blocks per frame (3 x 3, the last ones cut), about half of 36 blanked
        assertThat(changed).isBetween(4L * 35 * 40 / 4, 4L * 35 * 40 * 3 / 4);
    }

    @Test
    void learnsToFillTheHolesAndHandsItsEncoderToATrainingRun() {
        EncoderPretraining pretraining = new EncoderPretraining(SMALL, 0.4);
        Random random = new Random(5);
        INDArray held = stripes(new Random(99), 16);
        double before = pretraining.loss(held, new Random(7));
        for (int step = 0; step < 150; step++) {
            pretraining.fit(stripes(random, 16), random);
        }
        double after = pretraining.loss(held, new Random(7));
        assertThat(after).as("reconstruction loss before %.4f, after %.4f", before, after).isLessThan(before * 0.3);

        PretrainedEncoder encoder = PretrainedEncoder.fromBytes(pretraining.encoder().toBytes());
        assertThat(encoder.config()).isEqualTo(SMALL);
        TipNet net = TipNet.build(SMALL);
        assertThat(net.network().getLayer("stage1").params()).isNotEqualTo(encoder.network().getLayer("stage1").params());
        net.loadEncoder(encoder);
        for (String layer : List.of("stem", "stage1")) {
            assertThat(net.network().getLayer(layer).params()).isEqualTo(encoder.network().getLayer(layer).params());
        }

        TipNetConfig other = new TipNetConfig(TipNetConfig.Head.HEATMAP, 35, 40, 8, List.of(32), List.of(), 16,
                List.of(1), 3e-3, 7, 1.0, 1.0, 2, false);
        assertThatThrownBy(() -> TipNet.build(other).loadEncoder(encoder)).hasMessageContaining("pretrained for");
        // the same layers, but fed standardised frames: the encoder learned on raw pixels does not fit
        TipNetConfig standardised = new TipNetConfig(SMALL.head(), SMALL.inputHeight(), SMALL.inputWidth(),
                SMALL.stemChannels(), SMALL.stageChannels(), SMALL.deepChannels(), SMALL.contextChannels(),
                SMALL.contextDilations(), SMALL.learningRate(), SMALL.seed(), SMALL.presenceWeight(),
                SMALL.positionWeight(), SMALL.stemStride(), SMALL.batchNorm(), SMALL.fineChannels(), SMALL.refineCrop(),
                true);
        assertThatThrownBy(() -> TipNet.build(standardised).loadEncoder(encoder)).hasMessageContaining("pretrained for");
        assertThatThrownBy(() -> PretrainedEncoder.fromBytes(new byte[] {1, 2, 3})).hasMessageContaining("not a saved");
    }

    @Test
    void reconstructsFramesAtTheirSizeBehindAPatchifyStem() {
        // a stride-4 stem is two of the levels the decoder climbs back up (5 x 5 -> 40 x 40, cropped to 40 x 35)
        TipNetConfig patchify = new TipNetConfig(TipNetConfig.Head.HEATMAP, 35, 40, 8, List.of(16), List.of(), 16,
                List.of(1), 3e-3, 7, 1.0, 1.0, 4, false);
        EncoderPretraining pretraining = new EncoderPretraining(patchify, 0.4);
        INDArray frames = stripes(new Random(1), 2);
        assertThat(pretraining.loss(frames, new Random(2))).isFinite().isPositive();
        assertThat(pretraining.fit(frames, new Random(3))).isFinite();
    }

    @Test
    void frozenLayersStayPutUntilUnfrozen() {
        TipNet net = TipNet.build(SMALL);
        TipEncoding map = net.encoding(40, 35);
        INDArray input = stripes(new Random(1), 8);
        float[] targets = new float[8 * map.channels() * map.rows() * map.cols()];
        for (int n = 0; n < 8; n++) {
            float[] one = map.encode(true, 5 + 4 * n, 17);
            System.arraycopy(one, 0, targets, n * one.length, one.length);
        }
        INDArray labels = Nd4j.create(targets, new long[] {8, map.channels(), map.rows(), map.cols()}, DataType.FLOAT);
        assertThatThrownBy(() -> net.freezeUpTo("stage7")).hasMessageContaining("[stem, stage1]");
        net.freezeUpTo("stem");
        assertThat(net.frozenLayers()).containsExactly("stem");
        INDArray stem = net.network().getLayer("stem").params().dup();
        INDArray stage = net.network().getLayer("stage1").params().dup();
        for (int i = 0; i < 5; i++) {
            net.setLearningRate(1e-2);
            net.fit(input, labels);
        }
        assertThat(net.network().getLayer("stem").params()).isEqualTo(stem);
        assertThat(net.network().getLayer("stage1").params()).isNotEqualTo(stage);
        net.unfreeze();
        net.setLearningRate(1e-2);
        net.fit(input, labels);
        assertThat(net.network().getLayer("stem").params()).isNotEqualTo(stem);
    }
}
