package tipstream.model;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.eltwise_backward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One convolution layer's forward and backward passes on the CPU through oneDNN called from Java (JavaCPP's presets
 * of oneDNN 2.5), activations and their gradients channels last (NHWC) as DL4J holds them, weights as DL4J holds
 * them (OIHW). DL4J M2.1 reaches oneDNN only through libnd4j's {@code conv2d} / {@code conv2d_bp}, which let oneDNN
 * pick blocked layouts and so reorder every activation and gradient into them and back on every call (the output
 * gradient twice), describe their primitives anew on every call, and always compute the gradient with respect to
 * the layer's input, the frame's too (BENCHMARKS.md, "Training throughput", stops 60 and 61). Here oneDNN is told
 * the activations are NHWC, so its channels-last kernels read and write ND4J's buffers as they are; only the weights
 * (a few thousand floats) are reordered. ReLU may ride on the forward pass (a post-op) and its gradient be taken
 * from that output, so DL4J need keep no pre-activations. The primitives are made once per shape (the last few
 * kept). The presets load no OpenMP runtime of their own beside libnd4j's (one {@code libgomp} in the process).
 * Not for two threads at once, as DL4J's layers are not.
 */
final class OneDnnConvolution {
    private static final engine ENGINE = new engine(engine.kind.cpu, 0);
    /** Shapes whose primitives are kept: training's batch and a last, smaller one, evaluation's, a few more. */
    private static final int SHAPES_KEPT = 6;

    private final int[] kernel;
    private final int[] stride;
    /** This layer's own stream: a oneDNN stream is not for two threads at once. */
    private final stream stream = new stream(ENGINE);
    private final Map<String, Passes> byShape = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Passes> eldest) {
            boolean evict = size() > SHAPES_KEPT;
            if (evict) {
                eldest.getValue().close();
            }
            return evict;
        }
    };

    OneDnnConvolution(int[] kernel, int[] stride) {
        this.kernel = kernel.clone();
        this.stride = stride.clone();
    }

    /**
     * Writes into {@code output} ({@code [batch, outHeight, outWidth, filters]}, dense in C order) the
     * convolution of {@code input} ({@code [batch, height, width, channels]}) by {@code weights} ({@code [filters,
     * channels, kH, kW]}) plus {@code bias}, the input padded by {@code paddingTopLeft} (rows, columns) and as much on
     * the bottom and right as the output's size asks; with {@code relu}, max(0, x) of it in the same pass.
     */
    void forward(INDArray input, INDArray weights, INDArray bias, int[] paddingTopLeft, INDArray output, boolean relu) {
        if (!plain(output)) {
            throw new IllegalArgumentException("the output must be a float array, dense in C order");
        }
        INDArray in = plainOrCopy(input);
        INDArray w = plainOrCopy(weights);
        INDArray b = plainOrCopy(bias);
        Passes p = passes(in.shape(), output.shape(), paddingTopLeft);
        p.input.set_data_handle(address(in));
        p.weights.set_data_handle(address(w));
        p.bias.set_data_handle(address(b));
        p.output.set_data_handle(address(output));
        p.forwardWeightsReorder.run(stream);
        (relu ? p.forwardWithRelu() : p.forward).run(stream);
        stream._wait();
        Reference.reachabilityFence(in); // the copies' buffers must outlive the calls that read them
        Reference.reachabilityFence(w);
        Reference.reachabilityFence(b);
    }

    /**
     * Writes the gradients of the weights ({@code [filters, channels, kH, kW]}), of the bias ({@code [1, filters]} or
     * {@code [filters]}) and, unless it is null, of the input ({@code inputGradient}, shaped as the input, C order,
     * dense) from {@code gradient}, shaped as the output, for the same input, weights and padding as
     * {@link #forward}. Without {@code reluOutput}, {@code gradient} is the gradient at the convolution's output;
     * with it (what a forward pass with ReLU wrote), the gradient at the ReLU's, taken back through it first.
     */
    void backward(INDArray input, INDArray weights, INDArray gradient, INDArray reluOutput, int[] paddingTopLeft,
            INDArray weightGradient, INDArray biasGradient, INDArray inputGradient) {
        if (inputGradient != null && !plain(inputGradient)) {
            throw new IllegalArgumentException("the input's gradient must be a float array, dense in C order");
        }
        INDArray in = plainOrCopy(input);
        INDArray g = plainOrCopy(gradient);
        INDArray activated = reluOutput == null ? null : plainOrCopy(reluOutput);
        INDArray w = inputGradient == null ? null : plainOrCopy(weights);
        Passes p = passes(in.shape(), g.shape(), paddingTopLeft);
        // DL4J's gradient views (slices of one flat buffer) written in place; anything else through a copy
        INDArray weightsOut = plain(weightGradient) ? weightGradient
                : Nd4j.createUninitialized(DataType.FLOAT, weights.shape());
        INDArray biasOut = plain(biasGradient) ? biasGradient
                : Nd4j.createUninitialized(DataType.FLOAT, weights.size(0));
        p.input.set_data_handle(address(in));
        p.weightGradient.set_data_handle(address(weightsOut));
        p.biasGradient.set_data_handle(address(biasOut));
        // the gradient at the convolution's output: the caller's, or ReLU's backward pass writes it
        INDArray atConvolution = activated == null ? g : Nd4j.createUninitialized(DataType.FLOAT, g.shape());
        p.outputGradient.set_data_handle(address(atConvolution));
        if (activated != null) {
            p.reluGradient.set_data_handle(address(g));
            p.output.set_data_handle(address(activated));
            p.reluBackward().run(stream);
        }
        if (inputGradient != null) {
            p.weights.set_data_handle(address(w));
            p.inputGradient.set_data_handle(address(inputGradient));
            p.dataWeightsReorder.run(stream);
            p.backwardData.run(stream);
        }
        p.backwardWeights.run(stream);
        p.weightGradientReorder.run(stream);
        stream._wait();
        Reference.reachabilityFence(in);
        Reference.reachabilityFence(g);
        Reference.reachabilityFence(activated);
        Reference.reachabilityFence(atConvolution);
        Reference.reachabilityFence(w);
        if (weightsOut != weightGradient) {
            weightGradient.assign(weightsOut.reshape(weightGradient.shape()));
        }
        if (biasOut != biasGradient) {
            biasGradient.assign(biasOut.reshape(biasGradient.shape()));
        }
    }

    private Passes passes(long[] inShape, long[] outShape, int[] paddingTopLeft) {
        String key = Arrays.toString(inShape) + Arrays.toString(outShape) + Arrays.toString(paddingTopLeft);
        return byShape.computeIfAbsent(key, k -> new Passes(inShape, outShape, paddingTopLeft));
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

    /**
     * The three passes of one shape and the weights' reorders around them, and on first use ReLU fused into the
     * forward pass and ReLU's backward pass. The memories in the user's layouts (NHWC, OIHW, the bias plain) take
     * the current call's arrays as their handles.
     */
    private final class Passes {
        final memory input;
        final memory output;
        /** The gradient at the convolution's output. */
        final memory outputGradient;
        /** The gradient at the ReLU's output. */
        final memory reluGradient;
        final memory inputGradient;
        final memory weights;
        final memory bias;
        final memory weightGradient;
        final memory biasGradient;
        final Step forwardWeightsReorder;
        final Step forward;
        final Step dataWeightsReorder;
        final Step backwardData;
        final Step backwardWeights;
        final Step weightGradientReorder;
        private final memory.desc srcDesc;
        private final memory.desc dstDesc;
        private final memory.desc biasDesc;
        private final long[] strides;
        private final long[] before;
        private final long[] after;
        private final memory forwardWeights;
        private Step forwardWithRelu;
        private Step reluBackward;
        private final List<Pointer> owned = new ArrayList<>();

        Passes(long[] inShape, long[] outShape, int[] paddingTopLeft) {
            long[] src = {inShape[0], inShape[3], inShape[1], inShape[2]};
            long[] dst = {outShape[0], outShape[3], outShape[1], outShape[2]};
            long[] weightDims = {outShape[3], inShape[3], kernel[0], kernel[1]};
            long[] biasDims = {outShape[3]};
            strides = new long[] {stride[0], stride[1]};
            before = new long[] {paddingTopLeft[0], paddingTopLeft[1]};
            // what makes the output's size come out exactly (as libnd4j pads): may be less than the top-left padding
            after = new long[] {(dst[2] - 1) * stride[0] + kernel[0] - src[2] - before[0],
                    (dst[3] - 1) * stride[1] + kernel[1] - src[3] - before[1]};
            srcDesc = desc(src, memory.format_tag.nhwc);
            dstDesc = desc(dst, memory.format_tag.nhwc);
            memory.desc anyWeights = desc(weightDims, memory.format_tag.any);
            biasDesc = desc(biasDims, memory.format_tag.x);
            var forwardDesc = new convolution_forward.primitive_desc(forwardDescription(anyWeights), ENGINE);
            var dataDesc = new convolution_backward_data.primitive_desc(new convolution_backward_data.desc(
                    dnnl.algorithm.convolution_direct, srcDesc, anyWeights, dstDesc, strides, before, after), ENGINE,
                    forwardDesc);
            var weightsDesc = new convolution_backward_weights.primitive_desc(new convolution_backward_weights.desc(
                    dnnl.algorithm.convolution_direct, srcDesc, anyWeights, biasDesc, dstDesc, strides, before, after),
                    ENGINE, forwardDesc);
            input = new memory(srcDesc, ENGINE, null);
            output = new memory(dstDesc, ENGINE, null);
            outputGradient = new memory(dstDesc, ENGINE, null);
            reluGradient = new memory(dstDesc, ENGINE, null);
            inputGradient = new memory(srcDesc, ENGINE, null);
            weights = new memory(desc(weightDims, memory.format_tag.oihw), ENGINE, null);
            bias = new memory(biasDesc, ENGINE, null);
            weightGradient = new memory(desc(weightDims, memory.format_tag.oihw), ENGINE, null);
            biasGradient = new memory(biasDesc, ENGINE, null);
            forwardWeights = inLayout(forwardDesc.weights_desc(), weights);
            memory dataWeights = inLayout(dataDesc.weights_desc(), weights);
            memory blockedWeightGradient = inLayout(weightsDesc.diff_weights_desc(), weightGradient);
            primitive forwardPass = new convolution_forward(forwardDesc);
            primitive dataPass = new convolution_backward_data(dataDesc);
            primitive weightsPass = new convolution_backward_weights(weightsDesc);
            forwardWeightsReorder = reorder(weights, forwardWeights);
            forward = new Step(forwardPass, args(DNNL_ARG_SRC, input, DNNL_ARG_WEIGHTS, forwardWeights, DNNL_ARG_BIAS,
                    bias, DNNL_ARG_DST, output));
            dataWeightsReorder = reorder(weights, dataWeights);
            backwardData = new Step(dataPass, args(DNNL_ARG_DIFF_DST, outputGradient, DNNL_ARG_WEIGHTS, dataWeights,
                    DNNL_ARG_DIFF_SRC, inputGradient));
            backwardWeights = new Step(weightsPass, args(DNNL_ARG_SRC, input, DNNL_ARG_DIFF_DST, outputGradient,
                    DNNL_ARG_DIFF_WEIGHTS, blockedWeightGradient, DNNL_ARG_DIFF_BIAS, biasGradient));
            weightGradientReorder = reorder(blockedWeightGradient, weightGradient);
            owned.addAll(List.of(forwardDesc, dataDesc, weightsDesc, input, output, outputGradient, reluGradient,
                    inputGradient, weights, bias, weightGradient, biasGradient, forwardWeights, dataWeights,
                    blockedWeightGradient));
        }

        private convolution_forward.desc forwardDescription(memory.desc weightsDesc) {
            return new convolution_forward.desc(dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_direct,
                    srcDesc, weightsDesc, biasDesc, dstDesc, strides, before, after);
        }

        /** The forward pass with max(0, x) applied to its output as it is written (a oneDNN post-op). */
        Step forwardWithRelu() {
            if (forwardWithRelu == null) {
                post_ops relu = new post_ops();
                relu.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
                primitive_attr attributes = new primitive_attr();
                attributes.set_post_ops(relu);
                var description = new convolution_forward.primitive_desc(
                        forwardDescription(forwardWeights.get_desc()), attributes, ENGINE);
                owned.addAll(List.of(relu, attributes, description));
                forwardWithRelu = new Step(new convolution_forward(description), args(DNNL_ARG_SRC, input,
                        DNNL_ARG_WEIGHTS, forwardWeights, DNNL_ARG_BIAS, bias, DNNL_ARG_DST, output));
            }
            return forwardWithRelu;
        }

        /** ReLU's backward pass from its output (where it is above 0, the gradient passes). */
        Step reluBackward() {
            if (reluBackward == null) {
                var hint = new eltwise_forward.primitive_desc(new eltwise_forward.desc(dnnl.prop_kind.forward_training,
                        dnnl.algorithm.eltwise_relu_use_dst_for_bwd, dstDesc, 0f, 0f), ENGINE);
                var description = new eltwise_backward.primitive_desc(new eltwise_backward.desc(
                        dnnl.algorithm.eltwise_relu_use_dst_for_bwd, dstDesc, dstDesc, 0f, 0f), ENGINE, hint);
                owned.addAll(List.of(hint, description));
                reluBackward = new Step(new eltwise_backward(description), args(DNNL_ARG_DST, output,
                        DNNL_ARG_DIFF_DST, reluGradient, DNNL_ARG_DIFF_SRC, outputGradient));
            }
            return reluBackward;
        }

        void close() {
            for (Step step : List.of(forwardWeightsReorder, forward, dataWeightsReorder, backwardData, backwardWeights,
                    weightGradientReorder, forwardWithRelu == null ? Step.NONE : forwardWithRelu,
                    reluBackward == null ? Step.NONE : reluBackward)) {
                if (step.primitive() != null) {
                    step.args().close();
                    step.primitive().close();
                }
            }
            owned.forEach(Pointer::close);
        }
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

    /**
     * Whether oneDNN may read or write the array in place: float and dense in C order. A view's buffer address is
     * its first element's (ND4J gives a view a buffer of its own at its offset; OneDnnConvolutionTest checks it on
     * DL4J's parameter views).
     */
    private static boolean plain(INDArray array) {
        if (array.dataType() != DataType.FLOAT) {
            return false;
        }
        // C order's strides, a dimension of size 1 taking any stride (ND4J's own check refuses [n, h, w, 1])
        long[] shape = array.shape();
        long[] strides = array.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    private static INDArray plainOrCopy(INDArray array) {
        return plain(array) ? array : array.castTo(DataType.FLOAT).dup('c');
    }

    private static FloatPointer address(INDArray array) {
        return new FloatPointer(array.data().addressPointer());
    }
}
