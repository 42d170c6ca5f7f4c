package tipstream.dataset;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tipstream.v1.DatasetSample;
import tipstream.v1.ShardEntry;

/**
 * The shard format: an 8-byte magic, then length-delimited {@link DatasetSample} messages. A shard
 * is written once under a key named by its content ({@link #key}) and never edited; its sha256 goes
 * in the manifest, and every later version whose samples it still holds lists it again.
 */
public final class Shard {
    private static final byte[] MAGIC = "TSHARD1\n".getBytes(StandardCharsets.US_ASCII);
    /** The largest sample a reader accepts: a 528 x 406 frame is well under it, as PNG or raw. */
    private static final int MAX_SAMPLE_BYTES = 8 << 20;

    private Shard() {
    }

    public static byte[] write(List<DatasetSample> samples) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            out.write(MAGIC);
            for (DatasetSample sample : samples) {
                sample.writeDelimitedTo(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The manifest's entry for a shard written as {@code bytes}: its key, split, count and sha256. */
    public static ShardEntry entry(String key, String split, int sampleCount, byte[] bytes) {
        return ShardEntry.newBuilder().setKey(key).setSplit(split).setSampleCount(sampleCount)
                .setSha256(Sha256.hex(bytes)).build();
    }

    /**
     * Fails unless {@code bytes} are the shard its manifest entry describes: a shard damaged or
     * replaced in S3 may still parse, into the wrong samples.
     */
    public static void requireIntact(ShardEntry entry, byte[] bytes) throws CorruptShardException {
        String actual = Sha256.hex(bytes);
        if (!actual.equals(entry.getSha256())) {
            throw new CorruptShardException("shard " + entry.getKey() + " is damaged: its sha256 is " + actual
                    + ", its manifest says " + entry.getSha256(), null);
        }
    }

    /** A shard that cannot be read; the message says what is wrong. */
    public static class CorruptShardException extends Exception {
        public CorruptShardException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static List<DatasetSample> read(byte[] shard) throws CorruptShardException {
        if (shard.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(shard, MAGIC.length), MAGIC)) {
            throw new CorruptShardException("not a tipstream shard (magic missing)", null);
        }
        InputStream in = new ByteArrayInputStream(shard, MAGIC.length, shard.length - MAGIC.length);
        List<DatasetSample> samples = new ArrayList<>();
        try {
            while (in.available() > 0) {
                int size = com.google.protobuf.CodedInputStream.readRawVarint32(in.read(), in);
                if (size < 0 || size > MAX_SAMPLE_BYTES || size > in.available()) {
                    throw new CorruptShardException("sample " + samples.size() + " claims " + size + " bytes, "
                            + in.available() + " remain: truncated or corrupt shard", null);
                }
                samples.add(DatasetSample.parseFrom(in.readNBytes(size)));
            }
        } catch (IOException e) {
            throw new CorruptShardException("corrupt shard at sample " + samples.size() + ": " + e.getMessage(), e);
        }
        return samples;
    }
}
