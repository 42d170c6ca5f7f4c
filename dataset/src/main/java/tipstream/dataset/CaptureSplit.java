package tipstream.dataset;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Assigns whole captures, never single frames, to train or eval (neighbouring frames of a capture
 * are near-duplicates): a capture is eval when the first 4 bytes of sha256(salt + capture id),
 * modulo 100, fall under the eval percentage. Stable across runs, machines and dataset versions.
 */
public record CaptureSplit(int evalPercent, String salt) {
    public static final String TRAIN = "train";
    public static final String EVAL = "eval";

    public CaptureSplit {
        if (evalPercent < 0 || evalPercent > 100) {
            throw new IllegalArgumentException("eval percentage must be 0..100");
        }
    }

    public String splitOf(String captureId) {
        byte[] hash = java.util.HexFormat.of().parseHex(Sha256.hex((salt + captureId).getBytes(StandardCharsets.UTF_8)));
        int bucket = Integer.remainderUnsigned(ByteBuffer.wrap(hash, 0, 4).getInt(), 100);
        return bucket < evalPercent ? EVAL : TRAIN;
    }

    /** How the manifest states the rule, so anyone can recompute it. */
    public String describe() {
        return "capture is eval when uint32(sha256('" + salt + "' + capture_id)[0:4]) % 100 < " + evalPercent;
    }
}
