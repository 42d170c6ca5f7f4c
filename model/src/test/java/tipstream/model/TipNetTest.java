package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.nn.gradient.Gradient;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tipstream.dataset.TipTransform;

class TipNetTest {
    /** A small grid net on 40 x 32 frames: three stages, a 5 x 4 grid of 8 x 8 px cells. */
    private static final TipNetConfig SMALL = new TipNetConfig(TipNetConfig.Head.GRID, 32, 40, 8, List.of(16, 16, 16),
            List.of(), 16, List.of(1), 3e-3, 7, 5.0, 1.0, 1, true);
    private static final TipEncoding GRID = SMALL.encoding(40, 32);
    /**
     * With a heatmap head: two stages, a 10 x 8 map of 4 x 4 px cells; two deeper stages (5 x 4,
     * then 3 x 2) brought back up (12 x 8, cropped to 10 x 8); two context convolutions.
     */
    private static final TipNetConfig SMALL_HEATMAP = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8,
            List.of(16, 16), List.of(16, 16), 16, List.of(1, 2), 3e-3, 7, 1.0, 1.0, 1, true);
    /** As the heatmap preset is shaped: a stride-2 stem and one stage (the same 10 x 8 map), no batch norm. */
    private static final TipNetConfig SMALL_FAST = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8,
            List.of(16), List.of(), 16, List.of(1, 1), 3e-3, 7, 1.0, 1.0, 2, false);
    /** SMALL_FAST with a dilated context layer: channels last, through DL4J's own path (ChannelsLastConvolution). */
    private static final TipNetConfig SMALL_DILATED = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8,
            List.of(16), List.of(), 16, List.of(1, 2), 3e-3, 7, 1.0, 1.0, 2, false);
    /**
     * With a fine level: a stride-2 stem and two stages end at a 5 x 4 map of 8 px cells; the context
     * brought up to the first stage's 10 x 8 map (4 px cells) is where the head reads.
     */
    private static final TipNetConfig SMALL_FINE = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8,
            List.of(16, 16), List.of(), 16, List.of(1), 3e-3, 7, 1.0, 1.0, 2, false, 8);
    /** The fast shape with a second stage on 16 x 16 px crops. */
    private static final TipNetConfig SMALL_REFINED = SMALL_FAST.withRefineCrop(16);
    /** A stride-4 stem (the input folded 2 x 2, then a stride-2 3 x 3) and one stage: a 5 x 4 map of 8 px cells. */
    private static final TipNetConfig SMALL_FOLDED = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8,
            List.of(16), List.of(), 16, List.of(1), 3e-3, 7, 1.0, 1.0, 4, false);

    /** Noise with a bright 3 x 3 dot at the tip, or no dot for a frame without a tip. */
    private static BufferedImage frame(Random random, boolean tip, double x, double y) {
        BufferedImage image = new BufferedImage(40, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int j = 0; j < 32; j++) {
            for (int i = 0; i < 40; i++) {
                int v = 40 + (int) (10 * random.nextGaussian());
                if (tip && Math.abs(i + 0.5 - x) <= 1.5 && Math.abs(j + 0.5 - y) <= 1.5) {
                    v = 230;
                }
                image.getRaster().setSample(i, j, 0, Math.max(0, Math.min(255, v)));
            }
        }
        return image;
    }

    private record Batch(INDArray input, INDArray labels, List<double[]> truth) {
    }

    private static Batch batch(Random random, int size, TipEncoding encoding) {
        List<BufferedImage> frames = new ArrayList<>();
        List<float[]> labels = new ArrayList<>();
        List<double[]> truth = new ArrayList<>();
        for (int n = 0; n < size; n++) {
            boolean tip = n % 4 != 3;
            double x = 3 + 34 * random.nextDouble();
            double y = 3 + 26 * random.nextDouble();
            frames.add(frame(random, tip, x, y));
            labels.add(encoding.encode(tip, x, y));
            truth.add(new double[] {tip ? 1 : 0, x, y});
        }
        return new Batch(FrameTensor.batch(frames, 32, 40), FrameTensor.labels(labels, encoding), truth);
    }

    @Test
    void aNewHeatmapNetworkStartsSureThatNoCellHoldsTheTip() {
        TipNet net = TipNet.build(SMALL_FAST);
        // a blank frame: every feature is 0 (zero biases, ReLU), so each cell's output is the head's bias alone
        INDArray output = net.output(org.nd4j.linalg.factory.Nd4j.zeros(1, 1, 32, 40));
        double prior = Math.log(0.1 / 0.9);
        for (int channel = 0; channel < TipHeatmap.CHANNELS; channel++) {
            INDArray map = output.get(NDArrayIndex.point(0), NDArrayIndex.point(channel));
            double expected = channel == TipHeatmap.PRESENCE ? prior : 0;
            assertThat(map.minNumber().doubleValue()).as("channel %d", channel).isCloseTo(expected, within(1e-6));
            assertThat(map.maxNumber().doubleValue()).as("channel %d", channel).isCloseTo(expected, within(1e-6));
        }
        assertThat(net.network().getLayer("head").getParam("b").toFloatVector()).containsExactly(0f, (float) prior, 0f, 0f);
    }

    @Test
    void trainsStepForStepAsDl4jsOwnLayersInNchwWithoutCachedPreActivationsWould() {
        // TipNet's speed-ups (pre-activations cached for backprop instead of recomputed, ReLU's gradient in
        // vectorised ops, channels-last maps handed to oneDNN as they are) must not change what a step computes
        for (TipNetConfig config : List.of(SMALL, SMALL_HEATMAP, SMALL_FAST, SMALL_FOLDED, SMALL_DILATED)) {
            TipNet net = TipNet.build(config);
            ComputationGraph reference = dl4jsOwnLayers(net);
            Batch batch = batch(new Random(3), 8, config.encoding(40, 32));
            for (int step = 0; step < 3; step++) {
                double loss = net.fit(batch.input(), batch.labels());
                reference.fit(new INDArray[] {FrameTensor.input(batch.input(), config)}, new INDArray[] {batch.labels()});
                assertThat(loss).as("%s step %d", config, step).isCloseTo(reference.score(), within(1e-6 * loss));
            }
            // Every parameter to rounding (~3e-8), but the heat channel's bias: a softmax over the cells gives it
            // a gradient of zero but for rounding, and Adam moves a parameter by up to its learning rate (3e-3)
            // whatever its gradient's size, so it wanders ~1e-4 apart in three steps once convolutions sum in
            // another order (oneDNN called from Java against libnd4j's). A wrong gradient moves many by ~3e-3.
            net.network().paramTable().forEach((name, ours) -> {
                INDArray apart = ours.sub(reference.getParam(name));
                if (name.equals("head_b") && config.head() == TipNetConfig.Head.HEATMAP) {
                    apart.putScalar(TipHeatmap.HEAT, 0);
                }
                assertThat(apart.amaxNumber().doubleValue()).as("%s %s", config, name).isLessThan(1e-6);
            });
            if (config.head() == TipNetConfig.Head.HEATMAP) { // it shifts every cell's heat alike: set it level
                net.network().getLayer("head").getParam("b").putScalar(TipHeatmap.HEAT,
                        reference.getLayer("head").getParam("b").getDouble(TipHeatmap.HEAT));
            }
            INDArray output = reference.outputSingle(FrameTensor.input(batch.input(), config));
            assertThat(net.output(batch.input()).sub(output).amaxNumber().doubleValue()).as(config.toString())
                    .isLessThan(1e-5);
        }
    }

    /** The same network and weights with DL4J's own layers, NCHW, pre-activations recomputed for backprop. */
    private static ComputationGraph dl4jsOwnLayers(TipNet net) {
        String ours = net.network().getConfiguration().toJson();
        assertThat(ours.contains("\"NHWC\"")).as("channels last without batch norm").isEqualTo(!net.config().batchNorm());
        String plain = ours.replace(VectorisedRelu.class.getName(),
                org.nd4j.linalg.activations.impl.ActivationReLU.class.getName()).replace("\"DEVICE\"", "\"NONE\"")
                .replace(ChannelsLastConvolution.class.getName(), ConvolutionLayer.class.getName())
                .replace(ChannelsLastLoss.class.getName(), CnnLossLayer.class.getName())
                .replace("\"NHWC\"", "\"NCHW\"");
        assertThat(ours).contains(VectorisedRelu.class.getName()).contains("\"cacheMode\" : \"DEVICE\"");
        assertThat(plain).doesNotContain(VectorisedRelu.class.getName()).doesNotContain("DEVICE")
                .doesNotContain("ChannelsLast").doesNotContain("NHWC");
        ComputationGraph reference = new ComputationGraph(ComputationGraphConfiguration.fromJson(plain));
        reference.init(net.network().params().dup(), true);
        return reference;
    }

    @Test
    void theStemGivesTheFrameNoGradientAndEveryLayerTheGradientsDl4jsOwnLayersGive() {
        // the stem skips the gradient with respect to the frame (ChannelsLastConvolution.skipNetworkInputGradients)
        // and takes its weights' gradients from oneDNN directly (OneDnnConvolution): a stride-2 stem on one
        // channel, a stride-1 stem (the refiner's), and a stem on a frame folded into four channels
        TipNetConfig strideOne = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8, List.of(16), List.of(), 16,
                List.of(1, 1), 3e-3, 7, 1.0, 1.0, 1, false);
        for (TipNetConfig config : List.of(SMALL_FAST, strideOne, SMALL_FOLDED)) {
            TipNet net = TipNet.build(config);
            ComputationGraph reference = dl4jsOwnLayers(net);
            Batch batch = batch(new Random(11), 8, config.encoding(40, 32));
            INDArray input = FrameTensor.input(batch.input(), config);
            reference.setInputs(input);
            reference.setLabels(batch.labels());
            reference.computeGradientAndScore();
            net.network().setInputs(input.permute(0, 2, 3, 1).dup('c'));
            net.network().setLabels(batch.labels().permute(0, 2, 3, 1).dup('c'));
            net.network().computeGradientAndScore();
            assertThat(net.network().score()).as(config.toString()).isCloseTo(reference.score(),
                    within(1e-6 * reference.score()));
            for (String param : net.network().paramTable().keySet()) {
                INDArray theirs = reference.gradient().getGradientFor(param);
                INDArray ours = net.network().gradient().getGradientFor(param);
                assertThat(ours.shape()).isEqualTo(theirs.shape());
                assertThat(theirs.amaxNumber().doubleValue()).as("%s %s", config, param).isGreaterThan(1e-6);
                assertThat(ours.sub(theirs).amaxNumber().doubleValue()).as("%s %s", config, param)
                        .isLessThan(1e-4 * theirs.amaxNumber().doubleValue());
            }
            // the layers alone (they write the network's gradient views, so after the comparison)
            LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();
            Layer stem = net.network().getLayer("stem");
            stem.setInput(input.permute(0, 2, 3, 1).dup('c'), noWorkspaces);
            INDArray features = stem.activate(true, noWorkspaces);
            assertThat(stem.backpropGradient(features.dup(), noWorkspaces).getSecond()).as("the frame's gradient").isNull();
            Layer stage = net.network().getLayer("stage1");
            stage.setInput(features, noWorkspaces);
            INDArray epsilon = stage.activate(true, noWorkspaces).dup();
            Pair<Gradient, INDArray> kept = stage.backpropGradient(epsilon, noWorkspaces);
            assertThat(kept.getSecond()).as("the stem's features' gradient").isNotNull();
            INDArray keptWeightGradient = kept.getFirst().getGradientFor("W").dup();
            // backprop after an inference pass, which keeps no output for ReLU's gradient, makes the output again
            stage.activate(false, noWorkspaces);
            Pair<Gradient, INDArray> remade = stage.backpropGradient(epsilon, noWorkspaces);
            assertThat(remade.getSecond()).as("%s features' gradient, output made again", config)
                    .isEqualTo(kept.getSecond());
            assertThat(remade.getFirst().getGradientFor("W")).isEqualTo(keptWeightGradient);
            assertThat(keptWeightGradient.amaxNumber().doubleValue()).isGreaterThan(1e-6);
        }
    }

    @Test
    void theUpdaterTakesTheNetworksGradientForItsOwnAndStepsAsDl4jsOwnUpdaterDoes() {
        // OwnGradientUpdater skips DL4J's path for another network's gradient: the same Adam, minibatch division
        // and weight decay on the same arrays must give the same weights, bit for bit
        TipNet net = TipNet.build(SMALL_FAST.withWeightDecay(0.1));
        INDArray initial = net.network().params().dup();
        ComputationGraph reference = new ComputationGraph(net.network().getConfiguration().clone());
        reference.init(initial.dup(), true);
        assertThat(net.network().getUpdater()).isInstanceOf(OwnGradientUpdater.class);
        assertThat(reference.getUpdater()).isNotInstanceOf(OwnGradientUpdater.class);
        Batch batch = batch(new Random(4), 8, SMALL_FAST.encoding(40, 32));
        INDArray[] input = {FrameTensor.input(batch.input(), SMALL_FAST).permute(0, 2, 3, 1).dup('c')};
        INDArray[] labels = {batch.labels().permute(0, 2, 3, 1).dup('c')};
        for (int step = 0; step < 3; step++) {
            net.network().fit(input, labels);
            reference.fit(input, labels);
            assertThat(net.network().params()).as("step %d", step).isEqualTo(reference.params());
        }
        assertThat(net.network().params().sub(initial).amaxNumber().doubleValue()).as("trained").isGreaterThan(1e-3);
        assertThat(reference.getUpdater().getStateViewArray()).isEqualTo(net.network().getUpdater().getStateViewArray());
    }

    @Test
    void aCheckpointSavedWithNchwMapsRestoresThatWayAndAnswersAsTheSameWeightsChannelsLast() throws Exception {
        TipNet net = TipNet.build(SMALL_FAST);
        Batch batch = batch(new Random(5), 4, SMALL_FAST.encoding(40, 32));
        net.fit(batch.input(), batch.labels());
        // as checkpoints were saved before 2026-12-07: DL4J's own layers, NCHW
        String nchw = net.network().getConfiguration().toJson()
                .replace(ChannelsLastConvolution.class.getName(), ConvolutionLayer.class.getName())
                .replace(ChannelsLastLoss.class.getName(), CnnLossLayer.class.getName())
                .replace("\"NHWC\"", "\"NCHW\"");
        TipNet old = TipNet.fromBytes(withEntry(net.toBytes(), "configuration.json", nchw));
        assertThat(old.network().getConfiguration().toJson()).doesNotContain("NHWC").doesNotContain("ChannelsLast");
        assertThat(old.output(batch.input()).sub(net.output(batch.input())).amaxNumber().doubleValue()).isLessThan(1e-5);
        double loss = net.loss(batch.input(), batch.labels());
        assertThat(old.loss(batch.input(), batch.labels())).isCloseTo(loss, within(1e-5 * loss));
        assertThat(old.fit(batch.input(), batch.labels())).isCloseTo(net.fit(batch.input(), batch.labels()),
                within(1e-5 * loss));
    }

    @Test
    void weightDecayPullsEachWeightTowardsZeroByRateTimesDecayAndTheReportedLossStaysTheDatas() {
        double decay = 0.5;
        TipNet plain = TipNet.build(SMALL_REFINED);
        TipNet decayed = TipNet.build(SMALL_REFINED.withWeightDecay(decay));
        // biases start at 0, which no decay would move: give both networks the same non-zero ones
        for (TipNet net : List.of(plain, decayed)) {
            net.network().paramTable().forEach((name, values) -> {
                if (name.endsWith("_b")) {
                    values.assign(0.1);
                }
            });
        }
        assertThat(decayed.refiner().orElseThrow().config().weightDecay()).as("the refiner decays too").isEqualTo(decay);
        assertThat(decayed.network().params()).isEqualTo(plain.network().params());
        Batch batch = batch(new Random(3), 8, SMALL_FAST.encoding(40, 32));
        double before = plain.loss(batch.input(), batch.labels());
        assertThat(decayed.loss(batch.input(), batch.labels())).isCloseTo(before, within(1e-6 * before));
        Map<String, INDArray> start = new HashMap<>();
        decayed.network().paramTable().forEach((name, values) -> start.put(name, values.dup()));
        double plainLoss = plain.fit(batch.input(), batch.labels());
        assertThat(decayed.fit(batch.input(), batch.labels())).isCloseTo(plainLoss, within(1e-6 * plainLoss));
        // the same Adam step (same gradient), then, on weights but not biases, learning rate x decay x weight
        int weights = 0;
        for (var parameter : plain.network().paramTable().entrySet()) {
            INDArray pulled = parameter.getValue().sub(decayed.network().getParam(parameter.getKey()));
            INDArray expected = parameter.getKey().endsWith("_W")
                    ? start.get(parameter.getKey()).mul(SMALL_REFINED.learningRate() * decay)
                    : pulled.like();
            weights += parameter.getKey().endsWith("_W") ? 1 : 0;
            assertThat(pulled.sub(expected).amaxNumber().doubleValue()).as(parameter.getKey()).isLessThan(1e-6);
        }
        assertThat(weights).isGreaterThan(3);
    }

    @Test
    void averagesTheWeightsOverStepsAndKeepsTheAverageInCheckpoints() {
        TipNet net = TipNet.build(SMALL_FAST);
        assertThat(net.averaged().network().params()).as("untrained: the weights as they are")
                .isEqualTo(net.network().params());
        Batch batch = batch(new Random(3), 8, SMALL_FAST.encoding(40, 32));
        net.fit(batch.input(), batch.labels());
        INDArray first = net.network().params().dup();
        assertThat(net.averaged().network().params()).as("after one step: that step's weights").isEqualTo(first);
        byte[] afterOne = net.toBytes();
        net.fit(batch.input(), batch.labels());
        INDArray second = net.network().params().dup();
        // the second step keeps (1 + 1) / (10 + 1) of the average so far
        INDArray expected = first.mul(2.0 / 11).addi(second.mul(9.0 / 11));
        assertThat(net.averaged().network().params().sub(expected).amaxNumber().doubleValue()).isLessThan(1e-6);
        assertThat(second.sub(expected).amaxNumber().doubleValue()).as("the average is not the last step").isGreaterThan(1e-6);
        assertThat(net.network().params()).as("training goes on from the last weights, not the average").isEqualTo(second);

        // a resumed run continues the same average; eval and predict read the checkpoint's average
        TipNet resumed = TipNet.fromBytes(afterOne);
        resumed.fit(batch.input(), batch.labels());
        assertThat(resumed.averaged().network().params()).isEqualTo(net.averaged().network().params());
        TipNet served = TipNet.forInference(net.toBytes());
        assertThat(served.network().params()).isEqualTo(net.averaged().network().params());
        assertThat(served.predict(batch.input(), SMALL_FAST.encoding(40, 32)))
                .isEqualTo(net.averaged().predict(batch.input(), SMALL_FAST.encoding(40, 32)));
    }

    @Test
    void aCheckpointWithoutAnAverageServesItsWeightsAndABrokenAverageIsRefused() throws Exception {
        TipNet net = TipNet.build(SMALL_FAST);
        Batch batch = batch(new Random(3), 8, SMALL_FAST.encoding(40, 32));
        net.fit(batch.input(), batch.labels());
        // as DL4J writes a graph, with the shape and no average: a checkpoint from before averages were kept
        var graph = new java.io.ByteArrayOutputStream();
        org.deeplearning4j.util.ModelSerializer.writeModel(net.network(), graph, true);
        byte[] older = withEntry(graph.toByteArray(), TipNet.CONFIG_ENTRY, SMALL_FAST.toProperties());
        assertThat(TipNet.forInference(older).network().params()).isEqualTo(net.network().params());
        byte[] broken = withEntry(net.toBytes(), TipNet.AVERAGE_ENTRY, "twelve bytes");
        assertThatThrownBy(() -> TipNet.fromBytes(broken)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight average");
        byte[] cut = withEntry(net.toBytes(), TipNet.AVERAGE_ENTRY, "short");
        assertThatThrownBy(() -> TipNet.fromBytes(cut)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight average is cut short");
    }

    @Test
    void presetsMapTheirInputToTheirOutputMaps() {
        BufferedImage frame = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        TipNet grid = TipNet.build(TipNetConfig.grid());
        INDArray half = FrameTensor.batch(List.of(frame), 203, 264);
        assertThat(grid.network().outputSingle(half).shape()).containsExactly(1, 3, 7, 9);
        assertThat(grid.parameterCount()).isBetween(200_000L, 1_000_000L);
        TipNet heatmap = TipNet.build(TipNetConfig.heatmap());
        INDArray quarter = FrameTensor.batch(List.of(frame), 102, 132);
        assertThat(heatmap.output(quarter).shape()).containsExactly(1, 4, 13, 17);
        // output stride 8 at a quarter of the frame: cells of about 32 px of the original frame
        TipHeatmap map = (TipHeatmap) heatmap.encoding(528, 406);
        assertThat(map.cellWidth()).isCloseTo(8 * 528 / 132.0, within(1e-9));
        assertThat(map.cellHeight()).isCloseTo(8 * 406 / 102.0, within(1e-9));
    }

    @Test
    void restoringRefusesBytesThatAreNotANetworkOrCarryNoOrAWrongShape() throws Exception {
        assertThatThrownBy(() -> TipNet.fromBytes("PK not a zip".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a saved network");
        byte[] small = TipNet.build(SMALL).toBytes();
        assertThat(TipNet.fromBytes(small).config()).isEqualTo(SMALL);
        // DL4J's own zip, without the shape: refused, not read with a guessed shape
        var plain = new java.io.ByteArrayOutputStream();
        org.deeplearning4j.util.ModelSerializer.writeModel(TipNet.build(SMALL).network(), plain, true);
        assertThatThrownBy(() -> TipNet.fromBytes(plain.toByteArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no tipnet.properties entry");
        // a shape that does not match the network: two stages would give 8 x 10 cells, the network has three
        TipNetConfig other = new TipNetConfig(TipNetConfig.Head.GRID, 32, 40, 8, List.of(16, 16), List.of(), 16,
                List.of(1), 3e-3, 7, 5.0, 1.0, 1, true);
        byte[] lying = withEntry(small, TipNet.CONFIG_ENTRY, other.toProperties());
        assertThatThrownBy(() -> TipNet.fromBytes(lying)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the network maps a 1 x 32 x 40 frame to [3, 4, 5] cells, not the 3 x 8 x 10 of its"
                        + " configuration");
    }

    @Test
    void configurationSurvivesItsTextForm() {
        for (TipNetConfig config : List.of(TipNetConfig.grid(), TipNetConfig.heatmap(), SMALL, SMALL_HEATMAP,
                SMALL_FAST, SMALL_FINE, SMALL_FOLDED, SMALL_REFINED, SMALL_FAST.withWeightDecay(0.05))) {
            assertThat(TipNetConfig.fromProperties(config.toProperties())).isEqualTo(config);
        }
        // checkpoints from before the stem's stride, batch norm and the fine level were recorded had a
        // stride-1 stem, batch norm and no fine level
        String older = SMALL.toProperties().replaceAll("(?m)^(stem\\.stride|batch\\.norm|fine\\.channels|refine\\.crop|input\\.standardised|weight\\.decay)=.*$",
                "");
        assertThat(older).doesNotContain("stem.stride").doesNotContain("batch.norm").doesNotContain("fine.channels")
                .doesNotContain("refine.crop").doesNotContain("input.standardised").doesNotContain("weight.decay");
        assertThat(TipNetConfig.fromProperties(older)).isEqualTo(SMALL);
        assertThatThrownBy(() -> new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8, List.of(16), List.of(), 16,
                List.of(1), 3e-3, 7, 1.0, 1.0, 3, false)).hasMessageContaining("stride 1, 2 or 4");
        assertThatThrownBy(() -> TipNetConfig.grid().withRefineCrop(64)).hasMessageContaining("only on a heatmap");
        assertThatThrownBy(() -> SMALL_FAST.withWeightDecay(-0.1)).hasMessageContaining("no negative weight decay");
        assertThatThrownBy(() -> SMALL_FAST.withRefineCrop(30)).hasMessageContaining("a multiple of 4");
        assertThatThrownBy(() -> TipNetConfig.fromProperties("head=HEATMAP\n"))
                .hasMessage("not a network shape: 'input.height' is missing");
        assertThatThrownBy(() -> TipNetConfig.named("yolo")).hasMessageContaining("heatmap or grid");
    }

    @Test
    void aStandardisedNetworkLocatesTheSameTipWhateverTheFramesExposure() {
        TipNetConfig standardised = new TipNetConfig(TipNetConfig.Head.HEATMAP, 32, 40, 8, List.of(16), List.of(), 16,
                List.of(1, 1), 3e-3, 7, 1.0, 1.0, 2, false, 0, 16, true);
        assertThat(TipRefiner.shape(standardised).standardised()).isTrue();
        assertThat(TipNetConfig.fromProperties(standardised.toProperties())).isEqualTo(standardised);
        Random random = new Random(5);
        List<BufferedImage> dim = new ArrayList<>();
        List<BufferedImage> bright = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            BufferedImage frame = frame(random, n != 3, 6 + 8 * n, 9 + 4 * n);
            for (int j = 0; j < 32; j++) { // a lit side: frames of some contrast, as a capture's are
                for (int i = 0; i < 40; i++) {
                    frame.getRaster().setSample(i, j, 0, Math.min(230, frame.getRaster().getSample(i, j, 0) + 4 * i));
                }
            }
            BufferedImage low = new BufferedImage(40, 32, BufferedImage.TYPE_BYTE_GRAY);
            BufferedImage high = new BufferedImage(40, 32, BufferedImage.TYPE_BYTE_GRAY);
            for (int j = 0; j < 32; j++) {
                for (int i = 0; i < 40; i++) {
                    int v = frame.getRaster().getSample(i, j, 0) / 2; // exactly affine below: 2v + 20 <= 255
                    low.getRaster().setSample(i, j, 0, v);
                    high.getRaster().setSample(i, j, 0, 2 * v + 20);
                }
            }
            dim.add(low);
            bright.add(high);
        }
        TipEncoding map = standardised.encoding(40, 32);
        List<TipPrediction> seenDim = TipNet.build(standardised).locate(dim, map);
        List<TipPrediction> seenBright = TipNet.build(standardised).locate(bright, map);
        TipNet raw = TipNet.build(SMALL_REFINED);
        INDArray rawDim = raw.output(FrameTensor.batch(dim, 32, 40));
        INDArray rawBright = raw.output(FrameTensor.batch(bright, 32, 40));
        for (int n = 0; n < dim.size(); n++) {
            assertThat(seenBright.get(n).x()).isCloseTo(seenDim.get(n).x(), within(0.5));
            assertThat(seenBright.get(n).y()).isCloseTo(seenDim.get(n).y(), within(0.5));
            // up to the standard deviation's floor (about 1 % of these frames'): 0.003 apart
            assertThat(seenBright.get(n).presence()).isCloseTo(seenDim.get(n).presence(), within(0.01));
        }
        // without standardisation the same weights answer differently when the exposure changes
        assertThat(rawBright.sub(rawDim).amaxNumber().doubleValue()).isGreaterThan(0.5); // 0.9 apart
    }

    @Test
    void theLossOfAnOutputIsTheLossOfTheBatchItCameFrom() {
        Random random = new Random(5);
        for (TipNetConfig shape : List.of(SMALL, SMALL_HEATMAP, SMALL_FAST.withWeightDecay(1e-2))) {
            TipNet net = TipNet.build(shape);
            TipEncoding map = shape.encoding(40, 32);
            for (int step = 0; step < 3; step++) { // trained a little, so that the loss is not the start's
                Batch b = batch(random, 8, map);
                net.fit(b.input(), b.labels());
            }
            Batch b = batch(random, 8, map);
            double loss = net.loss(b.input(), b.labels());
            assertThat(net.lossOfOutput(net.output(b.input()), b.labels())).as("%s", shape.head())
                    .isCloseTo(loss, within(1e-5 * loss));
        }
    }

    @Test
    void aNetworkThatRefinesCarriesItsRefinerInItsCheckpointAndLocatesWithIt() throws Exception {
        TipNet net = TipNet.build(SMALL_REFINED);
        TipNet refiner = net.refiner().orElseThrow();
        assertThat(refiner.config()).isEqualTo(TipRefiner.shape(SMALL_REFINED));
        assertThat(net.parameterCount()).isEqualTo(net.network().numParams() + refiner.network().numParams());
        assertThat(TipNet.build(SMALL_FAST).refiner()).isEmpty();
        TipEncoding map = net.encoding(40, 32);
        TipEncoding cropMap = refiner.encoding(16, 16);
        Random random = new Random(8);
        for (int step = 0; step < 3; step++) { // a few steps, so that the averages differ from the weights
            Batch b = batch(random, 8, map);
            net.fit(b.input(), b.labels());
            List<BufferedImage> crops = new ArrayList<>();
            List<float[]> cropLabels = new ArrayList<>();
            for (int n = 0; n < 8; n++) {
                crops.add(TipRefiner.cut(frame(random, true, 8 + n, 8), n, 0, 16));
                cropLabels.add(cropMap.encode(true, 8, 8));
            }
            refiner.fit(FrameTensor.batch(crops, 16, 16), FrameTensor.labels(cropLabels, cropMap));
        }
        List<BufferedImage> frames = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            frames.add(frame(random, true, 5 + 5 * n, 10 + 2 * n));
        }
        INDArray output = net.output(FrameTensor.batch(frames, 32, 40));
        List<TipPrediction> located = net.locate(frames, map);
        for (int n = 0; n < frames.size(); n++) {
            TipPrediction at = located.get(n);
            List<TipEncoding.Candidate> places = map.candidates(
                    output.get(NDArrayIndex.point(n)).dup().data().asFloat(), TipRefiner.CANDIDATES);
            // placed again inside the 16 px crop around one of the first stage's places; its presence is
            // the geometric mean of the first stage's there and the refiner's (at most 1)
            assertThat(places).anySatisfy(place -> {
                assertThat(at.presence()).isGreaterThan(0).isLessThanOrEqualTo(Math.sqrt(place.tip().presence()));
                assertThat(Math.abs(at.x() - Math.round(place.tip().x()))).isLessThanOrEqualTo(8.0);
                assertThat(Math.abs(at.y() - Math.round(place.tip().y()))).isLessThanOrEqualTo(8.0);
            });
        }
        // a view of the frames turned by 16 degrees (TestTimeViews): the first stage's places are turned
        // back, then the refiner crops the frames as they are
        INDArray turnedOutput = net.output(new TestTimeViews.View(16).of(FrameTensor.batch(frames, 32, 40)));
        TipTransform back = TipTransform.rotation(-16, 20, 16);
        List<List<TipEncoding.Candidate>> turnedBack = new ArrayList<>();
        for (int n = 0; n < frames.size(); n++) {
            turnedBack.add(map.candidates(turnedOutput.get(NDArrayIndex.point(n)).dup().data().asFloat(),
                    TipRefiner.CANDIDATES).stream().map(c -> new TipEncoding.Candidate(new TipPrediction(
                            c.tip().presence(), Math.max(0, Math.min(40, back.x(c.tip().x(), c.tip().y()))),
                            Math.max(0, Math.min(32, back.y(c.tip().x(), c.tip().y())))), c.share()))
                    .toList());
        }
        assertThat(net.locateViewed(frames, turnedOutput, map, back))
                .isEqualTo(TipRefiner.choose(refiner, frames, turnedBack, 40, 32))
                .isNotEqualTo(net.locateViewed(frames, turnedOutput, map, TipTransform.IDENTITY));
        byte[] saved = net.toBytes();
        assertThat(TipNet.fromBytes(saved).locate(frames, map)).isEqualTo(located);
        assertThat(TipNet.forInference(saved).locate(frames, map)).isEqualTo(net.averaged().locate(frames, map))
                .isNotEqualTo(located);
        byte[] withoutRefiner = withoutEntry(saved, TipNet.REFINER_ENTRY);
        assertThatThrownBy(() -> TipNet.fromBytes(withoutRefiner)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds no refiner.zip");
        // a refiner of another width (checkpoints saved before its context was 32 wide) is read as it was
        // saved; one that does not place tips on this network's crops is refused with the reason
        TipNetConfig wider = new TipNetConfig(TipNetConfig.Head.HEATMAP, 16, 16, 16, List.of(32, 64), List.of(), 64,
                List.of(1, 1), SMALL_REFINED.learningRate(), SMALL_REFINED.seed() + 1, 1.0, 1.0, 1, false, 0, 0,
                SMALL_REFINED.standardised());
        byte[] olderRefiner = withEntry(saved, TipNet.REFINER_ENTRY, TipNet.build(wider).toBytes());
        assertThat(TipNet.fromBytes(olderRefiner).refiner().orElseThrow().config()).isEqualTo(wider)
                .isNotEqualTo(TipRefiner.shape(SMALL_REFINED));
        byte[] otherCrop = withEntry(saved, TipNet.REFINER_ENTRY,
                TipNet.build(TipRefiner.shape(SMALL_FAST.withRefineCrop(24))).toBytes());
        assertThatThrownBy(() -> TipNet.fromBytes(otherCrop)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a heatmap on the 16 px crops");
        // a shape without a second stage (every checkpoint saved before there was one) reads as it was
        assertThat(TipNet.fromBytes(TipNet.build(SMALL_FAST).toBytes()).refiner()).isEmpty();
    }

    private static byte[] withoutEntry(byte[] zip, String name) throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip));
                var rewritten = new java.util.zip.ZipOutputStream(out)) {
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (!entry.getName().equals(name)) {
                    rewritten.putNextEntry(new java.util.zip.ZipEntry(entry.getName()));
                    in.transferTo(rewritten);
                    rewritten.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    /** The zip with entry {@code name} holding {@code text}: replaced where it is, added where it is not. */
    private static byte[] withEntry(byte[] zip, String name, String text) throws Exception {
        return withEntry(zip, name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The zip with entry {@code name} holding {@code content}: replaced where it is, added where it is not. */
    private static byte[] withEntry(byte[] zip, String name, byte[] content) throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        boolean replaced = false;
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip));
                var rewritten = new java.util.zip.ZipOutputStream(out)) {
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                rewritten.putNextEntry(new java.util.zip.ZipEntry(entry.getName()));
                replaced |= entry.getName().equals(name);
                rewritten.write(entry.getName().equals(name) ? content : in.readAllBytes());
                rewritten.closeEntry();
            }
            if (!replaced) {
                rewritten.putNextEntry(new java.util.zip.ZipEntry(name));
                rewritten.write(content);
                rewritten.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void gridNetworkFindsTheDotUpdatesBatchNormStatisticsAndSurvivesSaveAndRestore() {
        TipNet net = TipNet.build(SMALL);
        Random random = new Random(3);
        Batch held = batch(new Random(99), 32, GRID);
        double before = net.loss(held.input(), held.labels());
        INDArray meanBefore = net.network().getLayer("stem-bn").getParam("mean").dup();
        for (int step = 0; step < 250; step++) {
            Batch b = batch(random, 16, GRID);
            net.fit(b.input(), b.labels());
        }
        double after = net.loss(held.input(), held.labels());
        assertThat(after).as("held-out loss before %.3f, after %.3f", before, after).isLessThan(before * 0.5);
        // batch norm's running mean really moves during training (a classic bug when it does not)
        assertThat(net.network().getLayer("stem-bn").getParam("mean")).isNotEqualTo(meanBefore);

        TipMetrics metrics = metrics(net.predict(held.input(), GRID), held);
        // chance: a random cell of 20 is right 5 % of the time; a dot found within one cell width
        assertThat(metrics.recall()).isGreaterThan(0.7);
        assertThat(metrics.distMean()).isLessThan(8.0);

        TipNet restored = TipNet.fromBytes(net.toBytes());
        assertThat(restored.predict(held.input(), GRID)).isEqualTo(net.predict(held.input(), GRID));
    }

    @Test
    void heatmapNetworkFindsTheDotWithinACellAndTellsFramesWithoutIt() {
        findsTheDot(TipNet.build(SMALL_HEATMAP));
    }

    @Test
    void heatmapNetworkWithAStrideTwoStemAndNoBatchNormFindsTheDotToo() {
        TipNet net = TipNet.build(SMALL_FAST);
        assertThat(SMALL_FAST.stride()).isEqualTo(4);
        assertThat(net.network().getConfiguration().getVertices()).doesNotContainKey("stem-bn");
        assertThat(net.network().getLayers()).noneMatch(l -> l.getConfig() instanceof
                org.deeplearning4j.nn.conf.layers.BatchNormalization);
        findsTheDot(net);
    }

    @Test
    void heatmapNetworkWithAFineLevelReadsAMapTwiceAsFineAsItsEncodersAndFindsTheDot() {
        assertThat(SMALL_FINE.encoderStride()).isEqualTo(8);
        assertThat(SMALL_FINE.stride()).isEqualTo(4);
        assertThat(List.of(SMALL_FINE.encoderCols(), SMALL_FINE.encoderRows(), SMALL_FINE.gridCols(),
                SMALL_FINE.gridRows())).containsExactly(5, 4, 10, 8);
        TipNet net = TipNet.build(SMALL_FINE);
        assertThat(net.network().getConfiguration().getVertices()).containsKeys("fine-skip", "fine-up-crop", "fine");
        findsTheDot(net);
    }

    @Test
    void heatmapNetworkWithAStrideFourStemTakesTheFrameFoldedAndFindsTheDot() throws Exception {
        assertThat(SMALL_FOLDED.inputFold()).isEqualTo(2);
        assertThat(SMALL_FOLDED.stride()).isEqualTo(8);
        assertThat(List.of(SMALL_FOLDED.gridCols(), SMALL_FOLDED.gridRows())).containsExactly(5, 4);
        TipNet net = TipNet.build(SMALL_FOLDED);
        var stem = (org.deeplearning4j.nn.conf.layers.ConvolutionLayer) net.network().getLayer("stem").conf().getLayer();
        assertThat(stem.getKernelSize()).containsExactly(3, 3);
        assertThat(stem.getStride()).containsExactly(2, 2);
        assertThat(stem.getNIn()).isEqualTo(4);
        findsTheDot(net);
        // saved and read back, it takes the same frames to the same map
        INDArray frames = batch(new Random(5), 4, net.encoding(40, 32)).input();
        assertThat(TipNet.fromBytes(net.toBytes()).output(frames)).isEqualTo(net.output(frames));
    }

    private static void findsTheDot(TipNet net) {
        TipEncoding map = net.encoding(40, 32);
        Random random = new Random(3);
        Batch held = batch(new Random(99), 32, map);
        double before = net.loss(held.input(), held.labels());
        for (int step = 0; step < 250; step++) {
            Batch b = batch(random, 16, map);
            net.fit(b.input(), b.labels());
        }
        double after = net.loss(held.input(), held.labels());
        assertThat(after).as("held-out loss before %.3f, after %.3f", before, after).isLessThan(before * 0.5);
        TipMetrics metrics = metrics(net.predict(held.input(), map), held);
        // a quarter of the frames have no dot; a random cell of 80 is 15 px away on average
        assertThat(metrics.probMean()).isGreaterThan(0.9);
        assertThat(metrics.distMean()).as("mean distance in px, cells of 4 px").isLessThan(2.0);
        TipNet restored = TipNet.fromBytes(net.toBytes());
        assertThat(restored.predict(held.input(), map)).isEqualTo(net.predict(held.input(), map));
    }

    private static TipMetrics metrics(List<TipPrediction> predictions, Batch held) {
        TipMetrics metrics = new TipMetrics();
        for (int i = 0; i < predictions.size(); i++) {
            double[] t = held.truth().get(i);
            metrics.add(t[0] == 1, t[1], t[2], predictions.get(i));
        }
        return metrics;
    }
}
