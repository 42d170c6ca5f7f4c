package tipstream.dataset;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.utils.SeekableInMemoryByteChannel;

/**
 * Reads a zip archive from untrusted hands into memory, refusing the whole archive before anyone
 * uses a byte of it when it breaks a limit: too many entries, an entry or the total too large
 * once uncompressed, an entry that inflates more than {@code maxRatio} times (a zip bomb), an
 * absolute or parent-relative path (zip slip), two entries of one name, or a truncated or corrupt
 * archive. Sizes are counted while inflating, never taken from the archive's own headers; the
 * ratio is checked as it inflates, so a bomb stops early.
 */
public final class SafeZip {
    /** The limits an archive must keep. */
    public record Limits(int maxEntries, long maxEntryBytes, long maxTotalBytes, int maxRatio) {
        /** Limits for a CVAT export with its images, or a folder of frames. */
        public static Limits standard() {
            return new Limits(100_000, 64L << 20, 1L << 30, 200);
        }
    }

    /** One file of the archive: its path inside it ('/'-separated, relative) and its bytes. */
    public record Entry(String path, byte[] bytes) {
        /** The file's own name, without its folders. */
        public String baseName() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    /** An archive refused as a whole; the message says why. */
    public static class InvalidArchiveException extends Exception {
        public InvalidArchiveException(String message) {
            super(message);
        }
    }

    private SafeZip() {
    }

    /** Whether the bytes start as a zip archive does. */
    public static boolean isZip(byte[] bytes) {
        return bytes != null && bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
    }

    /** Every file of the archive (folders skipped), in the order of its central directory. */
    public static List<Entry> read(byte[] zip, Limits limits) throws InvalidArchiveException {
        if (!isZip(zip)) {
            throw new InvalidArchiveException("not a zip archive");
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long[] total = {0};
        // The central directory, at the archive's end, is what a cut-off upload loses first.
        try (ZipFile archive = ZipFile.builder().setSeekableByteChannel(new SeekableInMemoryByteChannel(zip)).get()) {
            List<ZipArchiveEntry> listed = Collections.list(archive.getEntriesInPhysicalOrder());
            if (listed.size() > limits.maxEntries()) {
                throw new InvalidArchiveException("the archive has " + listed.size() + " entries, over the limit of "
                        + limits.maxEntries());
            }
            for (ZipArchiveEntry entry : listed) {
                String path = entryPath(entry.getName());
                if (entry.isDirectory() || path.endsWith("/")) {
                    continue;
                }
                if (!names.add(path)) {
                    throw new InvalidArchiveException("the archive holds '" + path + "' twice");
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (InputStream in = archive.getInputStream(entry)) {
                    copyEntry(in, out, path, entry.getCompressedSize(), limits, total);
                }
                entries.add(new Entry(path, out.toByteArray()));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidArchiveException("a truncated or corrupt zip archive: " + e.getMessage());
        }
        if (entries.isEmpty()) {
            throw new InvalidArchiveException("the zip archive holds no files");
        }
        return entries;
    }

    /**
     * Copies one entry's bytes to {@code out} within the limits, counted as they inflate:
     * {@code compressedSize} is the entry's size in the archive (-1 when unknown, as in a tar),
     * {@code total} (one element) the bytes of every entry so far, updated.
     */
    public static void copyEntry(InputStream in, OutputStream out, String path, long compressedSize, Limits limits,
            long[] total) throws IOException, InvalidArchiveException {
        byte[] buffer = new byte[64 * 1024];
        long size = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            size += n;
            total[0] += n;
            if (size > limits.maxEntryBytes()) {
                throw new InvalidArchiveException("entry '" + path + "' is over " + limits.maxEntryBytes()
                        + " bytes uncompressed");
            }
            if (total[0] > limits.maxTotalBytes()) {
                throw new InvalidArchiveException("the archive is over " + limits.maxTotalBytes() + " bytes uncompressed");
            }
            if (compressedSize >= 0 && size > 1024 && size > (compressedSize + 1) * limits.maxRatio()) {
                throw new InvalidArchiveException("entry '" + path + "' inflates over " + limits.maxRatio()
                        + " times its size in the archive (a zip bomb?)");
            }
            out.write(buffer, 0, n);
        }
    }

    /**
     * An archive entry's path, checked: relative ('/'-separated, repeated separators collapsed), never
     * absolute, never climbing out with {@code ..}.
     */
    public static String entryPath(String name) throws InvalidArchiveException {
        String path = name.replace('\\', '/').replaceAll("/{2,}", "/");
        if (path.isEmpty() || path.startsWith("/") || path.matches("^[A-Za-z]:.*") || path.contains("\0")) {
            throw new InvalidArchiveException("entry '" + PlainName.printable(name) + "' has an absolute path");
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new InvalidArchiveException("entry '" + PlainName.printable(name) + "' climbs out of the archive (zip slip)");
            }
        }
        return path;
    }
}
