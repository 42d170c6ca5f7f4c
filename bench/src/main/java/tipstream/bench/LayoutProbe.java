package tipstream.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import tipstream.model.NativeBackend;

/**
 * What the first stage's convolutions cost when their activations stay in the layout oneDNN's AVX-512
 * kernels choose (NHWC) instead of DL4J's NCHW, which oneDNN reorders to and from around every call
 * (BENCHMARKS.md, "Training throughput"): the heatmap preset's seven convolutions (stem 1 -> 16 stride 2,
 * stages 32 and 64 stride 2, four 64-wide context convolutions), forward and backward by ND4J's own
 * {@code conv2d} / {@code conv2d_bp} ops (a ReLU forward, its backward left out), in each layout, timed alternately; and a check that
 * both layouts give the same gradients. DL4J's convolution layer cannot take NHWC without permuting it
 * to NCHW in Java, so this is the most a layer that called the ops in NHWC could save.
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.LayoutProbe [BATCH HEIGHT WIDTH [refiner]]
 * </pre>
 * The first stage's shapes by default ({@code 32 102 132}); the refiner's: {@code 8 80 80 refiner}.
 */
public final class LayoutProbe {
    private static final int K = 3;

    /** One convolution's shape: channels in and out, stride. */
    private record Conv(int in, int out, int stride) {
    }

    private static final List<Conv> FIRST_STAGE = List.of(new Conv(1, 16, 2), new Conv(16, 32, 2), new Conv(32, 64, 2),
            new Conv(64, 64, 1), new Conv(64, 64, 1), new Conv(64, 64, 1), new Conv(64, 64, 1));
    /** The refiner's ({@code TipRefiner.shape}): a stride-1 stem, the same stages, two 32-wide context convolutions. */
    private static final List<Conv> REFINER = List.of(new Conv(1, 16, 1), new Conv(16, 32, 2), new Conv(32, 64, 2),
            new Conv(64, 32, 1), new Conv(32, 32, 1));

    public static void main(String[] args) {
        NativeBackend.ensureReady();
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int h = args.length > 1 ? Integer.parseInt(args[1]) : 102;
        int w = args.length > 2 ? Integer.parseInt(args[2]) : 132;
        List<Conv> layers = args.length > 3 && args[3].equals("refiner") ? REFINER : FIRST_STAGE;
        int stride = layers.stream().mapToInt(Conv::stride).reduce(1, (a, b) -> a * b);
        int topChannels = layers.get(layers.size() - 1).out();
        Nd4j.getRandom().setSeed(1);
        List<INDArray> weights = new ArrayList<>();
        List<INDArray> biases = new ArrayList<>();
        for (Conv conv : layers) {
            weights.add(Nd4j.randn(DataType.FLOAT, conv.out(), conv.in(), K, K).muli(Math.sqrt(2.0 / (9 * conv.in()))));
            biases.add(Nd4j.zeros(DataType.FLOAT, conv.out()));
        }
        INDArray nchw = Nd4j.randn(DataType.FLOAT, n, 1, h, w);
        INDArray nhwc = nchw.permute(0, 2, 3, 1).dup('c');
        // the gradient at the top, the same values in either layout, so that the weights' gradients compare
        INDArray topGrad = Nd4j.randn(DataType.FLOAT, n, topChannels, (h + stride - 1) / stride, (w + stride - 1) / stride);
        Chain a = new Chain(layers, false, nchw, topGrad, weights, biases);
        Chain b = new Chain(layers, true, nhwc, topGrad.permute(0, 2, 3, 1).dup('c'), weights, biases);
        for (int i = 0; i < 10; i++) {
            a.step();
            b.step();
        }
        double[] aMs = new double[5];
        double[] bMs = new double[5];
        for (int round = 0; round < 5; round++) {
            aMs[round] = a.millis(30);
            bMs[round] = b.millis(30);
            System.out.printf(Locale.ROOT, "round %d, batch %d, %d x %d: NCHW %.1f ms a step, NHWC %.1f ms (%.2fx)%n",
                    round + 1, n, h, w, aMs[round], bMs[round], aMs[round] / bMs[round]);
        }
        Arrays.sort(aMs);
        Arrays.sort(bMs);
        System.out.printf(Locale.ROOT, "median: NCHW %.1f ms, NHWC %.1f ms a step of forward and backward: %.2fx;"
                + " %.0f against %.0f images/s for the convolutions alone%n", aMs[2], bMs[2], aMs[2] / bMs[2],
                1000 * n / aMs[2], 1000 * n / bMs[2]);
        for (int i = 0; i < layers.size(); i++) {
            double diff = a.weightGrads.get(i).sub(b.weightGrads.get(i)).norm1Number().doubleValue()
                    / a.weightGrads.get(i).norm1Number().doubleValue();
            System.out.printf(Locale.ROOT, "layer %d weight gradients, NCHW against NHWC: relative L1 difference %.1e%n",
                    i + 1, diff);
        }
    }

    /** The convolutions in one layout, with every array a step needs made once. */
    private static final class Chain {
        private final List<Conv> layers;
        private final boolean nhwc;
        private final List<INDArray> weights;
        private final List<INDArray> biases;
        private final List<INDArray> inputs = new ArrayList<>();
        private final List<INDArray> outputs = new ArrayList<>();
        private final List<INDArray> inputGrads = new ArrayList<>();
        private final List<INDArray> weightGrads = new ArrayList<>();
        private final List<INDArray> biasGrads = new ArrayList<>();
        private final INDArray topGrad;

        Chain(List<Conv> layers, boolean nhwc, INDArray input, INDArray topGrad, List<INDArray> weights,
                List<INDArray> biases) {
            this.layers = layers;
            this.nhwc = nhwc;
            this.weights = weights;
            this.biases = biases;
            INDArray x = input;
            for (int i = 0; i < layers.size(); i++) {
                Conv conv = layers.get(i);
                long n = x.size(0);
                long h = nhwc ? x.size(1) : x.size(2);
                long w = nhwc ? x.size(2) : x.size(3);
                long oh = (h + conv.stride() - 1) / conv.stride();
                long ow = (w + conv.stride() - 1) / conv.stride();
                INDArray y = nhwc ? Nd4j.create(DataType.FLOAT, n, oh, ow, conv.out())
                        : Nd4j.create(DataType.FLOAT, n, conv.out(), oh, ow);
                inputs.add(x);
                outputs.add(y);
                inputGrads.add(Nd4j.create(DataType.FLOAT, x.shape()));
                weightGrads.add(Nd4j.create(DataType.FLOAT, weights.get(i).shape()));
                biasGrads.add(Nd4j.create(DataType.FLOAT, conv.out()));
                x = y;
            }
            this.topGrad = topGrad;
        }

        void step() {
            for (int i = 0; i < layers.size(); i++) {
                Conv conv = layers.get(i);
                // kH, kW, sH, sW, pH, pW, dH, dW, same mode, data format (0 NCHW, 1 NHWC), weights [out, in, kH, kW]
                Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(inputs.get(i), weights.get(i), biases.get(i))
                        .addOutputs(outputs.get(i)).addIntegerArguments(K, K, conv.stride(), conv.stride(), 0, 0, 1, 1,
                                1, nhwc ? 1 : 0, 1).build());
                Transforms.relu(outputs.get(i), false);
            }
            INDArray grad = topGrad;
            for (int i = layers.size() - 1; i >= 0; i--) {
                Conv conv = layers.get(i);
                // the ReLU's backward (elementwise, the same in either layout) left out: only the layouts differ
                Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(inputs.get(i), weights.get(i), biases.get(i),
                        grad).addOutputs(inputGrads.get(i), weightGrads.get(i), biasGrads.get(i))
                        .addIntegerArguments(K, K, conv.stride(), conv.stride(), 0, 0, 1, 1, 1, nhwc ? 1 : 0, 1).build());
                grad = inputGrads.get(i);
            }
        }

        double millis(int steps) {
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step();
            }
            return (System.nanoTime() - t0) / 1e6 / steps;
        }
    }
}
