package tipstream.bench;

import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;
import tipstream.model.NativeBackend;

/**
 * Whether the stem's backward pass could skip the gradient by its input, which nothing uses (the
 * input is the frame): DL4J's convolution layer runs ND4J's {@code conv2d_bp}, which has oneDNN
 * compute the gradients by the weights, the bias and the input together, and the input's is the one
 * oneDNN pads from 1 channel to 16. Times, for a stem's shapes, that whole op against the weights'
 * and bias's gradients alone done another way (im2col, one batched matrix product, sums), and checks
 * that both give the same gradients (BENCHMARKS.md, "Training throughput").
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.StemGradientProbe BATCH HEIGHT WIDTH STRIDE
 * </pre>
 * The first stage's stem: {@code 32 102 132 2}; the refiner's: {@code 8 80 80 1}.
 */
public final class StemGradientProbe {
    private static final int OUT = 16;
    private static final int K = 3;

    public static void main(String[] args) {
        NativeBackend.ensureReady();
        int n = Integer.parseInt(args[0]);
        int h = Integer.parseInt(args[1]);
        int w = Integer.parseInt(args[2]);
        int s = Integer.parseInt(args[3]);
        int oh = (h + s - 1) / s; // "same" padding, as TipNet's convolutions
        int ow = (w + s - 1) / s;
        int pad = Math.max(0, (oh - 1) * s + K - h) / 2;
        Nd4j.getRandom().setSeed(1);
        INDArray input = Nd4j.rand(DataType.FLOAT, n, 1, h, w);
        INDArray weights = Nd4j.rand(DataType.FLOAT, OUT, 1, K, K);
        INDArray bias = Nd4j.rand(DataType.FLOAT, OUT);
        INDArray delta = Nd4j.rand(DataType.FLOAT, n, OUT, oh, ow);
        INDArray inputGrad = Nd4j.create(DataType.FLOAT, n, 1, h, w);
        INDArray weightGrad = Nd4j.create(DataType.FLOAT, OUT, 1, K, K);
        INDArray biasGrad = Nd4j.create(DataType.FLOAT, OUT);
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, NCHW, weights [out, in, kH, kW]
        Runnable whole = () -> Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(input, weights, bias, delta)
                .addOutputs(inputGrad, weightGrad, biasGrad).addIntegerArguments(K, K, s, s, 0, 0, 1, 1, 1, 0, 1).build());
        INDArray cols = Nd4j.createUninitialized(DataType.FLOAT, new long[] {n, 1, K, K, oh, ow}, 'c');
        INDArray weightGradAlone = Nd4j.create(DataType.FLOAT, OUT, K * K);
        INDArray biasGradAlone = Nd4j.create(DataType.FLOAT, OUT);
        INDArray delta3d = delta.reshape('c', n, OUT, (long) oh * ow);
        INDArray cols3d = cols.reshape('c', n, K * K, (long) oh * ow);
        Runnable im2col = () -> Convolution.im2col(input, K, K, s, s, pad, pad, 1, 1, true, cols);
        Runnable product = () -> weightGradAlone.assign(Nd4j.matmul(delta3d, cols3d, false, true, false).sum(0));
        Runnable sums = () -> delta3d.sum(biasGradAlone, 0, 2);
        // or one product over the whole batch, the batch moved inside each row by two copies
        INDArray weightGradOne = Nd4j.create(DataType.FLOAT, OUT, K * K);
        Runnable oneProduct = () -> Nd4j.gemm(delta.permute(1, 0, 2, 3).dup('c').reshape(OUT, (long) n * oh * ow),
                cols3d.permute(1, 0, 2).dup('c').reshape(K * K, (long) n * oh * ow), weightGradOne, false, true, 1.0, 0.0);
        Runnable alone = () -> {
            im2col.run();
            product.run();
            sums.run();
        };
        for (int round = 1; round <= 3; round++) {
            System.out.printf(Locale.ROOT, "round %d, batch %d, %d x %d, stride %d: conv2d_bp (all three gradients) %.2f ms;"
                    + " weights and bias alone %.2f ms (im2col %.2f, batched product %.2f, bias sums %.2f);"
                    + " one product over the batch instead of the batched one %.2f ms%n", round, n, h, w, s, millis(whole),
                    millis(alone), millis(im2col), millis(product), millis(sums), millis(oneProduct));
        }
        double weightDiff = weightGrad.reshape(OUT, K * K).sub(weightGradAlone).norm1Number().doubleValue()
                / weightGrad.norm1Number().doubleValue();
        double biasDiff = biasGrad.sub(biasGradAlone).norm1Number().doubleValue() / biasGrad.norm1Number().doubleValue();
        double oneDiff = weightGrad.reshape(OUT, K * K).sub(weightGradOne).norm1Number().doubleValue()
                / weightGrad.norm1Number().doubleValue();
        System.out.printf(Locale.ROOT, "relative L1 difference: weights %.1e (one product %.1e), bias %.1e%n", weightDiff,
                oneDiff, biasDiff);
    }

    /** The mean of 100 timed runs after 20 warm-up runs, in milliseconds. */
    private static double millis(Runnable op) {
        for (int i = 0; i < 20; i++) {
            op.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            op.run();
        }
        return (System.nanoTime() - t0) / 1e6 / 100;
    }
}
