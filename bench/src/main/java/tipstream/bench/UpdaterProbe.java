package tipstream.bench;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.devstack.LocalPlatform;
import tipstream.model.NativeBackend;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;

/**
 * What TipNet's updater (DL4J's, told the gradient is the network's own: {@code OwnGradientUpdater}) saves a
 * training step against DL4J's own updater, which M2.1 always sends down its path for another network's gradient.
 * Two copies of the same network, one given back DL4J's updater, take their steps in turns on the same batch,
 * so that both see the machine alike; the medians of their step times and images/s. Not used by any service.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.UpdaterProbe --batch 32
 * java ... tipstream.bench.UpdaterProbe --batch 8 --input-width 80 --input-height 80 --stem-stride 1 \
 *   --context-dilations 1,1 --context-channels 32        # the refiner's shape
 * </pre>
 */
@Command(name = "UpdaterProbe", mixinStandardHelpOptions = true)
public final class UpdaterProbe implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "" + LocalPlatform.BATCH)
    int batch;

    @Option(names = "--steps", defaultValue = "400", description = "timed steps of each network")
    int steps;

    @Option(names = "--warmup", defaultValue = "100")
    int warmup;

    @CommandLine.Mixin
    NetOverrides overrides = new NetOverrides();

    public static void main(String[] args) {
        System.exit(new CommandLine(new UpdaterProbe()).execute(args));
    }

    @Override
    public Integer call() {
        NativeBackend.ensureReady();
        TipNetConfig config = overrides.apply(TipNetConfig.named("heatmap")).withRefineCrop(0);
        TipNet ours = TipNet.build(config);
        TipNet theirs = TipNet.build(config);
        theirs.network().setUpdater(new ComputationGraphUpdater(theirs.network(),
                theirs.network().getUpdater().getStateViewArray().dup()));
        INDArray[] batchAndTarget = TrainingThroughputBenchmark.randomBatch(ours, batch);
        double[][] seconds = new double[2][steps];
        for (int step = -warmup; step < steps; step++) {
            for (int turn = 0; turn < 2; turn++) {
                int which = (step + turn) & 1; // who goes first alternates
                TipNet net = which == 0 ? ours : theirs;
                long t0 = System.nanoTime();
                net.fit(batchAndTarget[0], batchAndTarget[1]);
                if (step >= 0) {
                    seconds[which][step] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        double own = TrainingThroughputBenchmark.median(seconds[0]);
        double dl4j = TrainingThroughputBenchmark.median(seconds[1]);
        System.out.printf(Locale.ROOT, "%s, batch %d: median step %.2f ms (%.1f images/s) with TipNet's updater, "
                + "%.2f ms (%.1f images/s) with DL4J's own: %.3fx%n", config, batch, own * 1e3, batch / own, dl4j * 1e3,
                batch / dl4j, dl4j / own);
        return 0;
    }
}
