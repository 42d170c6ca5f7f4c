package tipstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** oneDNN called from Java against libnd4j's own {@code conv2d} / {@code conv2d_bp} on the same NHWC arrays. */
class OneDnnConvolutionTest {
    /** One layer's shape: kernel, stride, top-left padding, input [batch, height, width, channels], filters. */
    private record Case(int kernel, int stride, int pad, long[] input, int filters) {
        long outSize(long size) {
            return (size + 2L * pad - kernel) / stride + 1;
        }

        long[] output() {
            return new long[] {input[0], outSize(input[1]), outSize(input[2]), filters};
        }
    }

    private static final List<Case> CASES = Stream.concat(Stream.of(
            new Case(3, 2, 1, new long[] {3, 15, 20, 8}, 16), // a stage: stride 2, odd height
            new Case(3, 2, 0, new long[] {2, 21, 26, 1}, 8), // a stem on one channel, no padding
            new Case(1, 1, 0, new long[] {5, 6, 7, 16}, 4), // a 1 x 1 head
            new Case(3, 1, 1, new long[] {2, 9, 9, 4}, 8)), // a stem on a frame folded into four channels
            // a context layer at batches 1 to 7: with the folded stem, more shapes than one layer keeps
            LongStream.rangeClosed(1, 7).mapToObj(batch -> new Case(3, 1, 1, new long[] {batch, 13, 17, 16}, 16)))
            .toList();

    @Test
    void forwardAndBackwardGiveWhatLibnd4jsConvolutionGivesWithReluAndWithout() {
        Nd4j.getRandom().setSeed(5);
        Map<String, OneDnnConvolution> byKernelAndStride = new HashMap<>();
        for (int round = 0; round < 2; round++) { // the second round finds some shapes kept, some made anew
            for (Case c : CASES) {
                OneDnnConvolution convolution = byKernelAndStride.computeIfAbsent(c.kernel() + "/" + c.stride(),
                        k -> new OneDnnConvolution(new int[] {c.kernel(), c.kernel()},
                                new int[] {c.stride(), c.stride()}));
                long channels = c.input()[3];
                INDArray input = Nd4j.randn(DataType.FLOAT, c.input());
                INDArray weights = Nd4j.randn(DataType.FLOAT, c.filters(), channels, c.kernel(), c.kernel());
                INDArray bias = Nd4j.randn(DataType.FLOAT, 1, c.filters());
                INDArray gradient = Nd4j.randn(DataType.FLOAT, c.output());
                int[] padding = {c.pad(), c.pad()};
                INDArray expected = Nd4j.create(DataType.FLOAT, c.output());
                Nd4j.exec(op("conv2d", c).addInputs(input, weights, bias.reshape(c.filters())).addOutputs(expected)
                        .build());
                for (boolean relu : new boolean[] {false, true}) {
                    String what = (relu ? "with ReLU " : "") + c;
                    INDArray output = Nd4j.create(DataType.FLOAT, c.output());
                    convolution.forward(input, weights, bias, padding, output, relu);
                    INDArray expectedOutput = relu ? Transforms.relu(expected, true) : expected;
                    assertThat(relativeError(output, expectedOutput)).as("forward %s", what).isLessThan(1e-5);

                    INDArray weightGradient = Nd4j.create(DataType.FLOAT, weights.shape());
                    INDArray biasGradient = Nd4j.create(DataType.FLOAT, 1, c.filters());
                    INDArray inputGradient = Nd4j.create(DataType.FLOAT, c.input());
                    convolution.backward(input, weights, gradient, relu ? output : null, padding, weightGradient,
                            biasGradient, inputGradient);
                    // through ReLU the gradient passes where the output is above 0
                    INDArray atConvolution = relu ? gradient.mul(expected.gt(0).castTo(DataType.FLOAT)) : gradient;
                    INDArray[] theirs = {Nd4j.create(DataType.FLOAT, c.input()),
                            Nd4j.create(DataType.FLOAT, weights.shape()), Nd4j.create(DataType.FLOAT, c.filters())};
                    Nd4j.exec(op("conv2d_bp", c).addInputs(input, weights, bias.reshape(c.filters()), atConvolution)
                            .addOutputs(theirs).build());
                    assertThat(relativeError(inputGradient, theirs[0])).as("input's gradient %s", what)
                            .isLessThan(1e-5);
                    assertThat(relativeError(weightGradient, theirs[1])).as("weights' gradient %s", what)
                            .isLessThan(1e-5);
                    assertThat(relativeError(biasGradient, theirs[2].reshape(1, c.filters())))
                            .as("bias's gradient %s", what).isLessThan(1e-5);
                }
            }
        }
    }

    @Test
    void takesViewsAndWritesGradientsIntoViewsAsDl4jsParameterViewsAre() {
        // DL4J's weights and their gradients are views into one flat buffer; a layer's input may be a view too
        Case c = CASES.get(0);
        OneDnnConvolution convolution = new OneDnnConvolution(new int[] {3, 3}, new int[] {2, 2});
        long weightCount = c.filters() * c.input()[3] * 9;
        INDArray flat = Nd4j.randn(DataType.FLOAT, 1, 10 + weightCount + c.filters());
        INDArray weights = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 10 + weightCount))
                .reshape('c', c.filters(), c.input()[3], 3, 3);
        INDArray bias = flat.get(NDArrayIndex.interval(0, 1),
                NDArrayIndex.interval(10 + weightCount, 10 + weightCount + c.filters()));
        INDArray wider = Nd4j.randn(DataType.FLOAT, c.input()[0], c.input()[1], c.input()[2], c.input()[3] + 3);
        INDArray input = wider.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(0, c.input()[3]));
        INDArray outputGradient = Nd4j.randn(DataType.FLOAT, c.output());
        INDArray gradients = Nd4j.zeros(DataType.FLOAT, 1, 10 + weightCount + c.filters());
        INDArray weightGradient = gradients.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 10 + weightCount))
                .reshape('c', c.filters(), c.input()[3], 3, 3);
        INDArray biasGradient = gradients.get(NDArrayIndex.interval(0, 1),
                NDArrayIndex.interval(10 + weightCount, 10 + weightCount + c.filters()));

        INDArray output = Nd4j.create(DataType.FLOAT, c.output());
        convolution.forward(input, weights, bias, new int[] {1, 1}, output, false);
        INDArray plainOutput = Nd4j.create(DataType.FLOAT, c.output());
        convolution.forward(input.dup('c'), weights.dup('c'), bias.dup('c'), new int[] {1, 1}, plainOutput, false);
        assertThat(output).isEqualTo(plainOutput);

        convolution.backward(input, weights, outputGradient, null, new int[] {1, 1}, weightGradient, biasGradient,
                null);
        INDArray plainWeightGradient = Nd4j.create(DataType.FLOAT, weights.shape());
        INDArray plainBiasGradient = Nd4j.create(DataType.FLOAT, 1, c.filters());
        convolution.backward(input.dup('c'), weights.dup('c'), outputGradient, null, new int[] {1, 1},
                plainWeightGradient, plainBiasGradient, Nd4j.create(DataType.FLOAT, c.input()));
        assertThat(weightGradient).isEqualTo(plainWeightGradient);
        assertThat(biasGradient).isEqualTo(plainBiasGradient);
        assertThat(plainWeightGradient.amaxNumber().doubleValue()).isGreaterThan(0.1);
        assertThat(gradients.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 10)).amaxNumber().doubleValue())
                .as("the buffer before the weights' gradient").isZero();
    }

    /** libnd4j's op with DL4J's arguments: kernel, stride, padding, dilation 1, not "same", NHWC, OIHW weights. */
    private static DynamicCustomOp.DynamicCustomOpsBuilder op(String name, Case c) {
        return DynamicCustomOp.builder(name).addIntegerArguments(c.kernel(), c.kernel(), c.stride(), c.stride(),
                c.pad(), c.pad(), 1, 1, 0, 1, 1);
    }

    private static double relativeError(INDArray ours, INDArray theirs) {
        assertThat(ours.shape()).isEqualTo(theirs.shape());
        return ours.sub(theirs).amaxNumber().doubleValue() / theirs.amaxNumber().doubleValue();
    }
}
