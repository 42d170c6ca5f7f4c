package tipstream.bench;

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

import java.util.Locale;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;

/**
 * What one training step of a convolution costs when Java calls oneDNN itself (JavaCPP's presets of oneDNN
 * 2.5) instead of through libnd4j M2.1's {@code conv2d} / {@code conv2d_bp}: primitives made once, the
 * activations NHWC and the weights OIHW as DL4J holds them, each reordered to the layout oneDNN picks
 * (the output gradient once for both backward passes), or the activations handed to oneDNN's channels-last
 * kernels as they are (what {@code OneDnnConvolution} does since stop 61); and the stem's backward with and
 * without the frame's gradient. Shapes of the heatmap preset's two networks.
 * Compare with the same layers through libnd4j in oneDNN's verbose log (bench/onednn_summary.py;
 * BENCHMARKS.md, "Training throughput", stop 60). Not used by any service.
 * <pre>
 * OMP_NUM_THREADS=2 java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" tipstream.bench.OneDnnDirectProbe
 * </pre>
 */
public final class OneDnnDirectProbe {
    private static final int STEPS = 200;
    private static final engine ENGINE = new engine(engine.kind.cpu, 0);
    private static final stream STREAM = new stream(ENGINE);
    /** The activations' layout the primitives are told: any (oneDNN picks, blocked) or NHWC. */
    private static memory.format_tag activations = memory.format_tag.any;

    public static void main(String[] args) {
        for (int round = 1; round <= 2; round++) {
            // the layouts oneDNN picks (blocked, reordered to and from) against NHWC, as ND4J holds activations
            for (memory.format_tag layout : new memory.format_tag[] {memory.format_tag.any, memory.format_tag.nhwc}) {
                activations = layout;
                String in = ", activations " + (layout == memory.format_tag.any ? "blocked" : "NHWC");
                report("first stage's context 64->64, 13 x 17, batch 32" + in, time(32, 64, 13, 17, 64, 1, 1, 1, true));
                report("its first stage 16->32, 51 x 66 stride 2" + in, time(32, 16, 51, 66, 32, 2, 0, 1, true));
                report("its second stage 32->64, 26 x 33 stride 2" + in, time(32, 32, 26, 33, 64, 2, 0, 1, true));
                report("refiner's context 32->32, 20 x 20, batch 8" + in, time(8, 32, 20, 20, 32, 1, 1, 1, true));
                report("refiner's first stage 16->32, 80 x 80 stride 2" + in, time(8, 16, 80, 80, 32, 2, 0, 1, true));
                report("first stage's stem, weights' gradients only" + in, time(32, 1, 102, 132, 16, 2, 0, 1, false));
                report("refiner's stem, weights' gradients only" + in, time(8, 1, 80, 80, 16, 1, 1, 1, false));
                report("stem on a folded frame 4->16, 51 x 66, weights' gradients only" + in,
                        time(32, 4, 51, 66, 16, 1, 1, 1, false));
            }
            activations = memory.format_tag.any;
            report("first stage's stem 1->16, 102 x 132 stride 2, batch 32, with the frame's gradient",
                    time(32, 1, 102, 132, 16, 2, 0, 1, true));
            report("refiner's stem 1->16, 80 x 80, batch 8, with the frame's gradient",
                    time(8, 1, 80, 80, 16, 1, 1, 1, true));
        }
    }

    /** Mean ms a step: forward, the output gradient's reorder and backward data, backward weights. */
    private record Timing(double forward, double data, double weights, String kernels) {
    }

    private static void report(String shape, Timing t) {
        System.out.printf(Locale.ROOT, "%-85s forward %.3f  output gradient reordered + backward data %.3f"
                + "  backward weights %.3f ms (%s)%n", shape, t.forward(), t.data(), t.weights(), t.kernels());
    }

    private static memory.desc desc(long[] dims, memory.format_tag tag) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    /** The second half of {@link #STEPS} steps of one convolution, 3 x 3, "same" padding. */
    private static Timing time(long batch, long channels, long height, long width, long filters, long stride,
            long padBefore, long padAfter, boolean dataGradient) {
        long outH = (height + padBefore + padAfter - 3) / stride + 1;
        long outW = (width + padBefore + padAfter - 3) / stride + 1;
        long[] src = {batch, channels, height, width};
        long[] weights = {filters, channels, 3, 3};
        long[] bias = {filters};
        long[] dst = {batch, filters, outH, outW};
        long[] strides = {stride, stride};
        long[] before = {padBefore, padBefore};
        long[] after = {padAfter, padAfter};
        memory.format_tag any = memory.format_tag.any;
        memory.format_tag act = activations;
        var forwardPd = new convolution_forward.primitive_desc(new convolution_forward.desc(
                dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_direct, desc(src, act), desc(weights, any),
                desc(bias, memory.format_tag.x), desc(dst, act), strides, before, after), ENGINE);
        var dataPd = new convolution_backward_data.primitive_desc(new convolution_backward_data.desc(
                dnnl.algorithm.convolution_direct, desc(src, act), desc(weights, any), desc(dst, act), strides, before,
                after), ENGINE, forwardPd);
        var weightsPd = new convolution_backward_weights.primitive_desc(new convolution_backward_weights.desc(
                dnnl.algorithm.convolution_direct, desc(src, act), desc(weights, any), desc(bias, memory.format_tag.x),
                desc(dst, act), strides, before, after), ENGINE, forwardPd);
        String kernels = forwardPd.impl_info_str().getString() + " / " + dataPd.impl_info_str().getString() + " / "
                + weightsPd.impl_info_str().getString();
        // as DL4J holds them: activations and their gradients NHWC, weights OIHW
        memory userSrc = new memory(desc(src, memory.format_tag.nhwc), ENGINE);
        memory userDst = new memory(desc(dst, memory.format_tag.nhwc), ENGINE);
        memory userDiffDst = new memory(desc(dst, memory.format_tag.nhwc), ENGINE);
        memory userDiffSrc = new memory(desc(src, memory.format_tag.nhwc), ENGINE);
        memory userWeights = new memory(desc(weights, memory.format_tag.oihw), ENGINE);
        memory userDiffWeights = new memory(desc(weights, memory.format_tag.oihw), ENGINE);
        memory biasMemory = new memory(desc(bias, memory.format_tag.x), ENGINE);
        memory diffBias = new memory(desc(bias, memory.format_tag.x), ENGINE);
        // in the layouts the primitives chose
        memory src1 = like(forwardPd.src_desc(), userSrc);
        memory weights1 = like(forwardPd.weights_desc(), userWeights);
        memory dst1 = like(forwardPd.dst_desc(), userDst);
        memory diffDst = like(weightsPd.diff_dst_desc(), userDiffDst);
        memory diffDstForData = dataPd.diff_dst_desc().equals(diffDst.get_desc()) ? diffDst
                : like(dataPd.diff_dst_desc(), userDiffDst);
        memory weights2 = like(dataPd.weights_desc(), userWeights);
        memory diffSrc = like(dataPd.diff_src_desc(), userDiffSrc);
        memory src2 = like(weightsPd.src_desc(), userSrc);
        memory diffWeights = like(weightsPd.diff_weights_desc(), userDiffWeights);
        primitive forward = new convolution_forward(forwardPd);
        primitive backwardData = new convolution_backward_data(dataPd);
        primitive backwardWeights = new convolution_backward_weights(weightsPd);
        double[] ms = new double[3];
        for (int step = 0; step < STEPS; step++) {
            long t0 = System.nanoTime();
            copy(userSrc, src1);
            copy(userWeights, weights1);
            forward.execute(STREAM, args(DNNL_ARG_SRC, src1, DNNL_ARG_WEIGHTS, weights1, DNNL_ARG_BIAS, biasMemory,
                    DNNL_ARG_DST, dst1));
            copy(dst1, userDst);
            STREAM._wait();
            long t1 = System.nanoTime();
            copy(userDiffDst, diffDst);
            if (dataGradient) {
                if (diffDstForData != diffDst) {
                    copy(userDiffDst, diffDstForData);
                }
                copy(userWeights, weights2);
                backwardData.execute(STREAM, args(DNNL_ARG_DIFF_DST, diffDstForData, DNNL_ARG_WEIGHTS, weights2,
                        DNNL_ARG_DIFF_SRC, diffSrc));
                copy(diffSrc, userDiffSrc);
                STREAM._wait();
            }
            long t2 = System.nanoTime();
            copy(userSrc, src2);
            backwardWeights.execute(STREAM, args(DNNL_ARG_SRC, src2, DNNL_ARG_DIFF_DST, diffDst,
                    DNNL_ARG_DIFF_WEIGHTS, diffWeights, DNNL_ARG_DIFF_BIAS, diffBias));
            copy(diffWeights, userDiffWeights);
            STREAM._wait();
            long t3 = System.nanoTime();
            if (step >= STEPS / 2) {
                ms[0] += (t1 - t0) / 1e6;
                ms[1] += (t2 - t1) / 1e6;
                ms[2] += (t3 - t2) / 1e6;
            }
        }
        int timed = STEPS - STEPS / 2;
        return new Timing(ms[0] / timed, ms[1] / timed, ms[2] / timed, kernels);
    }

    /** The user's memory itself when the primitive takes its layout, else a buffer in the primitive's. */
    private static memory like(memory.desc wanted, memory user) {
        return wanted.equals(user.get_desc()) ? user : new memory(wanted, ENGINE);
    }

    /** A reorder between layouts (made each call, as libnd4j makes its own), or nothing for the same memory. */
    private static void copy(memory from, memory to) {
        if (from != to) {
            new reorder(from, to).execute(STREAM, args(DNNL_ARG_FROM, from, DNNL_ARG_TO, to));
        }
    }

    private static IntMemoryMap args(Object... keysAndMemories) {
        IntMemoryMap map = new IntMemoryMap();
        for (int i = 0; i < keysAndMemories.length; i += 2) {
            map.put((Integer) keysAndMemories[i], (memory) keysAndMemories[i + 1]);
        }
        return map;
    }
}
