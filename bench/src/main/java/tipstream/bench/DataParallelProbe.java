package tipstream.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.nativeblas.NativeOpsHolder;
import tipstream.model.NativeBackend;
import tipstream.model.TipNet;
import tipstream.model.TipNetConfig;

/**
 * Whether training on several Java threads in one process, each its own copy of the heatmap
 * preset's first stage on its own in-memory batch, takes more images a second than one network on
 * all of ND4J's OpenMP threads (the upper bound of data-parallel training in one JVM; nothing is
 * averaged). {@code omp1} has each worker set OpenMP to one thread for itself; or run the JVM
 * under {@code OMP_NUM_THREADS=1}.
 * <pre>
 * java -Xmx1500m -XX:+UseSerialGC -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *   tipstream.bench.DataParallelProbe WORKERS BATCH STEPS [omp1]
 * </pre>
 */
public final class DataParallelProbe {
    private static final int WARMUP = 30;

    public static void main(String[] args) throws Exception {
        int workers = Integer.parseInt(args[0]);
        int batch = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        boolean oneThreadEach = args.length > 3 && args[3].equals("omp1");
        NativeBackend.ensureReady();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        CyclicBarrier start = new CyclicBarrier(workers + 1);
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            running.add(pool.submit(() -> {
                if (oneThreadEach) {
                    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
                }
                TipNet net = TipNet.build(TipNetConfig.heatmap());
                INDArray[] batchAndTarget = TrainingThroughputBenchmark.randomBatch(net, batch);
                INDArray input = batchAndTarget[0];
                INDArray target = batchAndTarget[1];
                for (int i = 0; i < WARMUP; i++) {
                    net.fit(input, target);
                }
                start.await();
                for (int i = 0; i < steps; i++) {
                    net.fit(input, target);
                }
                return null;
            }));
        }
        start.await();
        long t0 = System.nanoTime();
        for (Future<?> f : running) {
            f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%d workers of batch %d (OpenMP %s): %.1f images/s in all, wall clock%n",
                workers, batch, oneThreadEach ? "1 thread each" : NativeOpsHolder.getInstance().getDeviceNativeOps()
                        .ompGetMaxThreads() + " threads", workers * batch * steps / seconds);
        pool.shutdown();
    }
}
