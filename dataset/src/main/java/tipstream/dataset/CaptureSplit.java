package tipstream.dataset;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Assigns whole captures, never single frames, to train, validation or eval (neighbouring frames
 * of a capture are near-duplicates): the first 4 bytes of sha256(salt + capture id), modulo 100,
 * give a bucket; buckets under the eval percentage are eval, the next {@code validationPercent}
 * buckets validation (held out from training to calibrate and choose checkpoints, never used to
 * report), the rest train. Stable across runs, machines and dataset versions.
 */
public record CaptureSplit(int evalPercent, int validationPercent, String salt) {
    public static final String TRAIN = "train";
    public static final String VALIDATION = "validation";
    public static final String EVAL = "eval";

    public CaptureSplit {
        if (evalPercent < 0 || validationPercent < 0 || evalPercent + validationPercent > 100) {
            throw new IllegalArgumentException("eval and validation percentages must be 0..100 together");
        }
    }

    /** Train and eval only. */
    public CaptureSplit(int evalPercent, String salt) {
        this(evalPercent, 0, salt);
    }

    public String splitOf(String captureId) {
        byte[] hash = java.util.HexFormat.of().parseHex(Sha256.hex((salt + captureId).getBytes(StandardCharsets.UTF_8)));
        int bucket = Integer.remainderUnsigned(ByteBuffer.wrap(hash, 0, 4).getInt(), 100);
        return bucket < evalPercent ? EVAL : bucket < evalPercent + validationPercent ? VALIDATION : TRAIN;
    }

    /** How the manifest states the rule, so anyone can recompute it. */
    public String describe() {
        String bucket = "uint32(sha256('" + salt + "' + capture_id)[0:4]) % 100";
        return validationPercent == 0 ? "capture is eval when " + bucket + " < " + evalPercent
                : "capture is eval when " + bucket + " < " + evalPercent + ", validation when < "
                        + (evalPercent + validationPercent) + ", else train";
    }
}
