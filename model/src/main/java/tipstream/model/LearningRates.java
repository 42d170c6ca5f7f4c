package tipstream.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Sets a graph's learning rate every step, as the trainer's schedule does. DL4J's own
 * {@code ComputationGraph.setLearningRate} rebuilds the whole updater and copies its state on each
 * call (8-13 ms for the heatmap preset's two networks, a fifth of a training step;
 * BENCHMARKS.md, "Training throughput"). The rate lives in each layer's updater configuration and
 * in the configuration of each of the live updater's blocks, which the optimiser reads at every
 * step: setting both there gives the same steps without the rebuild ({@code LearningRatesTest}).
 * Layers held at other rates (frozen ones) need DL4J's way, which splits the updater's blocks.
 */
final class LearningRates {
    private LearningRates() {
    }

    /** Every layer of {@code graph} at {@code rate} from its next step on. */
    static void setAll(ComputationGraph graph, double rate) {
        for (Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BaseLayer base) {
                set(base.getIUpdater(), rate);
                set(base.getBiasUpdater(), rate);
            }
        }
        for (UpdaterBlock block : graph.getUpdater().getUpdaterBlocks()) {
            set(block.getGradientUpdater().getConfig(), rate);
        }
    }

    private static void set(IUpdater updater, double rate) {
        if (updater != null && updater.hasLearningRate()) {
            updater.setLrAndSchedule(rate, null);
        }
    }
}
