package tipstream.model;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * An encoder (TipNet's stem and stages) pretrained without labels by {@link EncoderPretraining}:
 * the autoencoder it was trained in and the network shape it was trained for. Stored as one zip
 * (the graph and {@code tipnet.properties}, as checkpoints are), so any run of that shape can
 * start from it ({@link TipNet#loadEncoder}).
 */
public record PretrainedEncoder(TipNetConfig config, ComputationGraph network) {

    public byte[] toBytes() {
        return TipNet.save(network, config);
    }

    /** Reads {@link #toBytes()}; fails with the reason when the bytes hold no encoder of the shape they carry. */
    public static PretrainedEncoder fromBytes(byte[] bytes) {
        NativeBackend.ensureReady();
        TipNetConfig config = TipNetConfig.fromProperties(TipNet.configEntry(bytes));
        ComputationGraph network = TipNet.restoreGraph(bytes);
        List<String> blocks = TipNet.encoderBlocks(config);
        for (String layer : TipNet.encoderLayers(config, blocks.get(blocks.size() - 1))) {
            if (!network.getConfiguration().getVertices().containsKey(layer)) {
                throw new IllegalArgumentException("not an encoder of " + config + ": no layer '" + layer + "'");
            }
        }
        return new PretrainedEncoder(config, network);
    }
}
