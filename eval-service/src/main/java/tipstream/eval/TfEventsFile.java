package tipstream.eval;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import tipstream.v1.MetricEvent;
import tipstream.v1.TensorBoardEvent;
import tipstream.v1.TensorBoardSummary;

/**
 * A TensorBoard event file ({@code events.out.tfevents.*}) of scalars or of an image. The file is a sequence of
 * TFRecords: little-endian uint64 length, masked CRC32C of the length, the serialized Event, masked
 * CRC32C of the Event. The first Event carries the file version.
 */
public final class TfEventsFile {
    public static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;

    private TfEventsFile() {
    }

    /** The file's bytes: the version record, then one scalar record per metric event. */
    public static byte[] of(List<MetricEvent> events, long createdAtMs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        record(out, TensorBoardEvent.newBuilder().setWallTime(createdAtMs / 1000.0).setFileVersion(FILE_VERSION).build());
        for (MetricEvent e : events) {
            record(out, TensorBoardEvent.newBuilder().setWallTime(e.getWallTimeMs() / 1000.0).setStep(e.getStep())
                    .setSummary(TensorBoardSummary.newBuilder().addValue(TensorBoardSummary.Value.newBuilder()
                            .setTag(e.getTag()).setSimpleValue((float) e.getValue())))
                    .build());
        }
        return out.toByteArray();
    }

    /** A file of one image summary (RGB PNG) under {@code tag} at {@code step}. */
    public static byte[] ofImage(String tag, long step, java.awt.image.BufferedImage image, long wallTimeMs) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            javax.imageio.ImageIO.write(image, "png", png);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        record(out, TensorBoardEvent.newBuilder().setWallTime(wallTimeMs / 1000.0).setFileVersion(FILE_VERSION).build());
        record(out, TensorBoardEvent.newBuilder().setWallTime(wallTimeMs / 1000.0).setStep(step)
                .setSummary(TensorBoardSummary.newBuilder().addValue(TensorBoardSummary.Value.newBuilder().setTag(tag)
                        .setImage(TensorBoardSummary.Image.newBuilder().setHeight(image.getHeight())
                                .setWidth(image.getWidth()).setColorspace(3)
                                .setEncodedImageString(com.google.protobuf.ByteString.copyFrom(png.toByteArray())))))
                .build());
        return out.toByteArray();
    }

    /** How every event file's name begins: TensorBoard reads the files whose names hold "tfevents". */
    public static final String FILE_PREFIX = "events.out.tfevents.";

    /** TensorBoard's file name: events.out.tfevents.<seconds>.<host>. */
    public static String fileName(long createdAtMs, String host) {
        return FILE_PREFIX + (createdAtMs / 1000) + "." + host;
    }

    /** The time in a {@link #fileName} (to the second), in ms; 0 for a name that carries none. */
    public static long createdAtMs(String fileName) {
        if (!fileName.startsWith(FILE_PREFIX)) {
            return 0;
        }
        String seconds = fileName.substring(FILE_PREFIX.length()).split("\\.")[0];
        try {
            return Long.parseLong(seconds) * 1000;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void record(ByteArrayOutputStream out, TensorBoardEvent event) {
        byte[] data = event.toByteArray();
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.writeBytes(length);
        out.writeBytes(littleEndian(maskedCrc(length)));
        out.writeBytes(data);
        out.writeBytes(littleEndian(maskedCrc(data)));
    }

    /** TFRecord's checksum: CRC32C, rotated right by 15 bits, plus a constant. */
    static int maskedCrc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        int value = (int) crc.getValue();
        return ((value >>> 15) | (value << 17)) + MASK_DELTA;
    }

    private static byte[] littleEndian(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    /** Reads a file back, checking every checksum: for tests and tools. */
    public static List<TensorBoardEvent> read(byte[] file) throws java.io.IOException {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<TensorBoardEvent> events = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 12) {
                throw new java.io.IOException("truncated record header at byte " + in.position());
            }
            byte[] length = new byte[8];
            in.get(length);
            if (in.getInt() != maskedCrc(length)) {
                throw new java.io.IOException("length checksum mismatch at byte " + (in.position() - 12));
            }
            long size = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (size < 0 || size > in.remaining() - 4) {
                throw new java.io.IOException("record of " + size + " bytes runs past the end");
            }
            byte[] data = new byte[(int) size];
            in.get(data);
            if (in.getInt() != maskedCrc(data)) {
                throw new java.io.IOException("data checksum mismatch in record " + events.size());
            }
            events.add(TensorBoardEvent.parseFrom(data));
        }
        return events;
    }
}
