package tipstream.model;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution's weight and bias gradients, and nothing else, computed by oneDNN called from Java (JavaCPP's
 * presets of oneDNN 2.5). DL4J M2.1 reaches oneDNN only through libnd4j's {@code conv2d_bp}, which always computes
 * the gradient with respect to the layer's input too: for the stem, whose input is the frame, that is work no one
 * reads, and on one channel padded to sixteen in oneDNN's blocked layout it was ~4 ms of a ~45 ms first-stage step
 * of 32 frames (BENCHMARKS.md, "Training throughput", stop 60). The input and the output gradient come channels
 * last (NHWC), the weights' gradient goes out as DL4J holds weights (OIHW). oneDNN's primitives are made once per
 * shape. The presets load no OpenMP runtime of their own beside libnd4j's (one {@code libgomp} in the process).
 */
final class ConvolutionWeightGradients {
    private static final engine ENGINE = new engine(engine.kind.cpu, 0);

    /**
     * The primitives of one shape, the backward-weights convolution and the reorders around it, each with its
     * arguments; the user memories' handles point at the current call's arrays.
     */
    private record Primitives(memory userInput, memory userOutputGradient, memory userWeightGradient,
            memory userBiasGradient, Step inputReorder, Step outputGradientReorder, Step backwardWeights,
            Step weightGradientReorder) {
    }

    /** A primitive with its arguments, or nothing to do (a reorder between the same layouts). */
    private record Step(primitive primitive, IntMemoryMap args) {
        static final Step NONE = new Step(null, null);

        void run(stream stream) {
            if (primitive != null) {
                primitive.execute(stream, args);
            }
        }
    }

    private final int[] kernel;
    private final int[] stride;
    /** This layer's own stream: a oneDNN stream is not for two threads at once. */
    private final stream stream = new stream(ENGINE);
    private final Map<String, Primitives> byShape = new HashMap<>();

    ConvolutionWeightGradients(int[] kernel, int[] stride) {
        this.kernel = kernel.clone();
        this.stride = stride.clone();
    }

    /**
     * Writes the gradients of the weights ({@code [filters, channels, kH, kW]}) and of the bias ({@code [1, filters]}
     * or {@code [filters]}) for {@code input} ({@code [batch, height, width, channels]}) and {@code outputGradient}
     * ({@code [batch, outHeight, outWidth, filters]}, the gradient at the pre-activations), the input padded by
     * {@code paddingTopLeft} (rows, columns) and as much on the bottom and right as the output's size asks.
     */
    void compute(INDArray input, INDArray outputGradient, int[] paddingTopLeft, INDArray weightGradient,
            INDArray biasGradient) {
        INDArray in = plain(input);
        INDArray gradient = plain(outputGradient);
        long[] inShape = in.shape();
        long[] outShape = gradient.shape();
        long filters = outShape[3];
        String key = Arrays.toString(inShape) + Arrays.toString(outShape) + Arrays.toString(paddingTopLeft);
        Primitives p = byShape.computeIfAbsent(key, k -> primitives(inShape, outShape, paddingTopLeft));
        INDArray weights = Nd4j.createUninitialized(DataType.FLOAT, filters, inShape[3], kernel[0], kernel[1]);
        INDArray bias = Nd4j.createUninitialized(DataType.FLOAT, filters);
        p.userInput().set_data_handle(address(in));
        p.userOutputGradient().set_data_handle(address(gradient));
        p.userWeightGradient().set_data_handle(address(weights));
        p.userBiasGradient().set_data_handle(address(bias));
        p.inputReorder().run(stream);
        p.outputGradientReorder().run(stream);
        p.backwardWeights().run(stream);
        p.weightGradientReorder().run(stream);
        stream._wait();
        weightGradient.assign(weights.reshape(weightGradient.shape()));
        biasGradient.assign(bias.reshape(biasGradient.shape()));
    }

    private Primitives primitives(long[] inShape, long[] outShape, int[] paddingTopLeft) {
        long[] src = {inShape[0], inShape[3], inShape[1], inShape[2]};
        long[] dst = {outShape[0], outShape[3], outShape[1], outShape[2]};
        long[] weights = {outShape[3], inShape[3], kernel[0], kernel[1]};
        long[] bias = {outShape[3]};
        long[] strides = {stride[0], stride[1]};
        long[] before = {paddingTopLeft[0], paddingTopLeft[1]};
        // what makes the output's size come out exactly (as libnd4j pads): may be less than the top-left padding
        long[] after = {(dst[2] - 1) * stride[0] + kernel[0] - src[2] - before[0],
                (dst[3] - 1) * stride[1] + kernel[1] - src[3] - before[1]};
        memory.format_tag any = memory.format_tag.any;
        var forward = new convolution_forward.primitive_desc(new convolution_forward.desc(
                dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_direct, desc(src, any), desc(weights, any),
                desc(bias, memory.format_tag.x), desc(dst, any), strides, before, after), ENGINE);
        var backward = new convolution_backward_weights.primitive_desc(new convolution_backward_weights.desc(
                dnnl.algorithm.convolution_direct, desc(src, any), desc(weights, any), desc(bias, memory.format_tag.x),
                desc(dst, any), strides, before, after), ENGINE, forward);
        memory userInput = new memory(desc(src, memory.format_tag.nhwc), ENGINE, null);
        memory userOutputGradient = new memory(desc(dst, memory.format_tag.nhwc), ENGINE, null);
        memory userWeightGradient = new memory(desc(weights, memory.format_tag.oihw), ENGINE, null);
        memory userBiasGradient = new memory(desc(bias, memory.format_tag.x), ENGINE, null);
        memory input = inLayout(backward.src_desc(), userInput);
        memory outputGradient = inLayout(backward.diff_dst_desc(), userOutputGradient);
        memory weightGradient = inLayout(backward.diff_weights_desc(), userWeightGradient);
        Step backwardWeights = new Step(new convolution_backward_weights(backward), args(DNNL_ARG_SRC, input,
                DNNL_ARG_DIFF_DST, outputGradient, DNNL_ARG_DIFF_WEIGHTS, weightGradient, DNNL_ARG_DIFF_BIAS,
                userBiasGradient));
        return new Primitives(userInput, userOutputGradient, userWeightGradient, userBiasGradient,
                reorder(userInput, input), reorder(userOutputGradient, outputGradient), backwardWeights,
                reorder(weightGradient, userWeightGradient));
    }

    private static memory.desc desc(long[] dims, memory.format_tag tag) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    /** The user's memory when the primitive takes its layout as it is, else a buffer in the primitive's layout. */
    private static memory inLayout(memory.desc wanted, memory user) {
        return wanted.equals(user.get_desc()) ? user : new memory(wanted, ENGINE);
    }

    private static Step reorder(memory from, memory to) {
        return from == to ? Step.NONE : new Step(new reorder(from, to), args(DNNL_ARG_FROM, from, DNNL_ARG_TO, to));
    }

    private static IntMemoryMap args(Object... keysAndMemories) {
        IntMemoryMap map = new IntMemoryMap();
        for (int i = 0; i < keysAndMemories.length; i += 2) {
            map.put((Integer) keysAndMemories[i], (memory) keysAndMemories[i + 1]);
        }
        return map;
    }

    /** The array itself when it is float, starts its buffer and lies in C order; else such a copy. */
    private static INDArray plain(INDArray array) {
        boolean plain = array.dataType() == DataType.FLOAT && array.offset() == 0 && array.ordering() == 'c'
                && Shape.hasDefaultStridesForShape(array);
        return plain ? array : array.castTo(DataType.FLOAT).dup('c');
    }

    private static FloatPointer address(INDArray array) {
        return new FloatPointer(array.data().addressPointer());
    }
}
