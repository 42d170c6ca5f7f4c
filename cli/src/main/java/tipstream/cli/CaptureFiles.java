package tipstream.cli;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import tipstream.dataset.FrameName;
import tipstream.dataset.FrameResize;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.SafeZip;

/**
 * Frames from what a lab has on disk: a PNG, a folder of them (with subfolders), a zip or tar
 * (.tar, .tar.gz, .tgz) archive of them, or a video ({@link VideoFrames}). Everything is checked
 * and staged before a single frame is sent: an archive that breaks a limit (zip slip, absolute
 * paths, bombs, too many or too large entries, truncation) or a video that cannot be decoded to
 * its end is refused whole, so nothing of it is half-stored. Archives and videos are staged to a
 * temporary folder, so memory stays bounded whatever their size. With resizing asked for, frames
 * of another size than the lab's are scaled to it as 8-bit gray (without, ingest refuses them with
 * the reason).
 * <p>
 * A frame's capture is {@code --capture} when given, else the one its rig-style name carries
 * ({@code <capture>-cam<L|R><n>.png}), else its folder's name, else the archive's or video's name.
 */
public final class CaptureFiles implements AutoCloseable {
    /** One frame ready to send: its capture, its file name, and where its PNG lies. */
    public record Frame(String captureId, String name, Path png) {
    }

    /** An input refused as a whole; the message says why. */
    public static class RefusedInputException extends Exception {
        public RefusedInputException(String message) {
            super(message);
        }
    }

    private final List<Frame> frames = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private final List<Path> temporary = new ArrayList<>();
    private Path resizedDir;

    private final Path source;
    private final VideoFrames.Settings size;

    private CaptureFiles(Path source, VideoFrames.Settings size) {
        this.source = source;
        this.size = size;
    }

    /** The frames of one path, checked and staged. */
    public static CaptureFiles stage(Path path, String capture, SafeZip.Limits limits, VideoFrames.Settings video)
            throws RefusedInputException, IOException {
        CaptureFiles files = new CaptureFiles(path, video);
        try {
            String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
            String lower = name.toLowerCase(Locale.ROOT);
            if (!Files.exists(path)) {
                throw new RefusedInputException(path + ": no such file or folder");
            }
            if (Files.isDirectory(path)) {
                files.folder(path, capture);
            } else if (lower.endsWith(".png")) {
                files.add(captureOf(name, capture, parentName(path)), name, path);
            } else if (lower.endsWith(".zip")) {
                files.zip(path, capture, stem(name), limits);
            } else if (lower.endsWith(".tar") || lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) {
                files.tar(path, capture, stem(name), limits, !lower.endsWith(".tar"));
            } else if (VideoFrames.isVideo(lower)) {
                Path dir = files.temporaryFolder();
                String videoCapture = capture != null ? capture : stem(name);
                for (VideoFrames.Staged frame : VideoFrames.stage(path, videoCapture, dir, video)) {
                    files.frames.add(new Frame(videoCapture, frame.name(), frame.png()));
                }
            } else {
                throw new RefusedInputException(path + ": not a PNG, a folder, a zip or tar archive, or a video ("
                        + String.join(", ", VideoFrames.EXTENSIONS) + ")");
            }
        } catch (RefusedInputException | IOException | RuntimeException e) {
            files.close();
            throw e;
        }
        return files;
    }

    public List<Frame> frames() {
        return Collections.unmodifiableList(frames);
    }

    /** Files passed over (not PNG), by path. */
    public List<String> skipped() {
        return Collections.unmodifiableList(skipped);
    }

    private void folder(Path root, String capture) throws IOException, RefusedInputException {
        List<Path> pngs;
        try (Stream<Path> walk = Files.walk(root)) {
            pngs = walk.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList();
        }
        for (Path file : pngs) {
            String name = file.getFileName().toString();
            if (!name.toLowerCase(Locale.ROOT).endsWith(".png")) {
                skipped.add(root.relativize(file).toString());
                continue;
            }
            add(captureOf(name, capture, parentName(file)), name, file);
        }
    }

    private void zip(Path path, String capture, String archiveName, SafeZip.Limits limits)
            throws IOException, RefusedInputException {
        Path dir = temporaryFolder();
        try (ZipFile zip = ZipFile.builder().setPath(path).get()) {
            List<ZipArchiveEntry> entries = Collections.list(zip.getEntriesInPhysicalOrder());
            if (entries.size() > limits.maxEntries()) {
                throw new RefusedInputException(path + ": " + entries.size() + " entries, over the limit of "
                        + limits.maxEntries());
            }
            long[] total = {0};
            for (ZipArchiveEntry entry : entries) {
                if (entry.isDirectory()) {
                    continue;
                }
                String entryPath = checkedPath(path, entry.getName());
                try (InputStream in = zip.getInputStream(entry)) {
                    extract(path, entryPath, in, entry.getCompressedSize(), dir, capture, archiveName, limits, total);
                }
            }
        } catch (IOException e) {
            throw new RefusedInputException(path + ": a truncated or corrupt zip archive (" + e.getMessage() + ")");
        }
    }

    private void tar(Path path, String capture, String archiveName, SafeZip.Limits limits, boolean gzip)
            throws IOException, RefusedInputException {
        Path dir = temporaryFolder();
        long compressedSize = Files.size(path);
        long[] total = {0};
        int count = 0;
        try (InputStream file = new BufferedInputStream(Files.newInputStream(path));
                InputStream raw = gzip ? new GzipCompressorInputStream(file) : file;
                TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
            ArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (++count > limits.maxEntries()) {
                    throw new RefusedInputException(path + ": over " + limits.maxEntries() + " entries");
                }
                if (entry.isDirectory()) {
                    continue;
                }
                String entryPath = checkedPath(path, entry.getName());
                extract(path, entryPath, tar, -1, dir, capture, archiveName, limits, total);
                if (gzip && total[0] > 1024 && total[0] > (compressedSize + 1) * limits.maxRatio()) {
                    throw new RefusedInputException(path + ": inflates over " + limits.maxRatio()
                            + " times its size (a decompression bomb?)");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new RefusedInputException(path + ": a truncated or corrupt tar archive (" + e.getMessage() + ")");
        }
    }

    /** One archive entry, copied to the staging folder within the limits, if it is a PNG. */
    private void extract(Path archive, String entryPath, InputStream in, long compressedSize, Path dir, String capture,
            String archiveName, SafeZip.Limits limits, long[] total) throws IOException, RefusedInputException {
        String name = entryPath.substring(entryPath.lastIndexOf('/') + 1);
        boolean png = name.toLowerCase(Locale.ROOT).endsWith(".png");
        Path target = dir.resolve("entry-" + frames.size() + ".png");
        try (OutputStream out = png ? Files.newOutputStream(target) : OutputStream.nullOutputStream()) {
            SafeZip.copyEntry(in, out, entryPath, compressedSize, limits, total);
        } catch (SafeZip.InvalidArchiveException e) {
            throw new RefusedInputException(archive + ": " + e.getMessage());
        }
        if (!png) {
            skipped.add(entryPath);
            return;
        }
        int slash = entryPath.lastIndexOf('/');
        String folder = slash > 0 ? entryPath.substring(entryPath.lastIndexOf('/', slash - 1) + 1, slash) : archiveName;
        add(captureOf(name, capture, folder), name, target);
    }

    private final Set<String> seen = new HashSet<>();

    private void add(String captureId, String name, Path png) throws RefusedInputException, IOException {
        if (!seen.add(captureId + "/" + name)) {
            throw new RefusedInputException(source + ": two frames named " + name + " in capture " + captureId
                    + ": which one is meant?");
        }
        frames.add(new Frame(captureId, name, size.resize() ? resized(png) : png));
    }

    /**
     * With --resize, a frame of another size scaled to the lab's, as 8-bit gray (without it, ingest
     * refuses such a frame with the reason). A file that is no image is passed on as it is, for
     * ingest to refuse by name.
     */
    private Path resized(Path png) throws IOException {
        BufferedImage image;
        try {
            image = ImageIO.read(png.toFile());
        } catch (IOException e) {
            return png;
        }
        if (image == null || (image.getWidth() == size.width() && image.getHeight() == size.height())) {
            return png;
        }
        BufferedImage gray = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        gray.getGraphics().drawImage(image, 0, 0, null);
        if (resizedDir == null) {
            resizedDir = temporaryFolder();
        }
        Path target = resizedDir.resolve("resized-" + frames.size() + ".png");
        Files.write(target, PngFrameCodec.encode(FrameResize.to(gray, size.width(), size.height())));
        return target;
    }

    /** The capture a frame belongs to: asked for, else in its rig-style name, else its folder's. */
    static String captureOf(String frameName, String asked, String folder) {
        if (asked != null && !asked.isBlank()) {
            return asked;
        }
        return FrameName.captureOf(frameName).orElse(folder);
    }

    private static String checkedPath(Path archive, String name) throws RefusedInputException {
        try {
            return SafeZip.entryPath(name);
        } catch (SafeZip.InvalidArchiveException e) {
            throw new RefusedInputException(archive + ": " + e.getMessage());
        }
    }

    private static String parentName(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null || parent.getFileName() == null ? "capture" : parent.getFileName().toString();
    }

    /** A file's name without its extensions (.tar.gz counts as one). */
    static String stem(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".tar.gz")) {
            return name.substring(0, name.length() - 7);
        }
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private Path temporaryFolder() throws IOException {
        Path dir = Files.createTempDirectory("tipstream-upload");
        temporary.add(dir);
        return dir;
    }

    /** Deletes the staged copies. */
    @Override
    public void close() {
        for (Path dir : temporary) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                // a temporary folder left behind is no failure of the upload
            }
        }
    }
}
