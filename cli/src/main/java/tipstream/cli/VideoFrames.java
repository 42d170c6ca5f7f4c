package tipstream.cli;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import tipstream.dataset.FrameName;
import tipstream.dataset.FrameResize;
import tipstream.dataset.PngFrameCodec;

/**
 * A video's frames as 8-bit grayscale PNGs named {@code <capture>-camL<NNNN>.png} (NNNN the frame's
 * number in the video, from 0), decoded with JavaCV's FFmpegFrameGrabber (FFmpeg converts to gray).
 * Frames of another size than the lab's are refused with the reason unless resizing is asked for.
 * A video that cannot be opened, has no frames, is over the frame or resolution limit, or stops
 * decoding before its end is refused whole: frames are staged to disk and handed on only when the
 * whole video decoded.
 */
public final class VideoFrames {
    /** File endings taken for videos. */
    public static final List<String> EXTENSIONS = List.of("mp4", "avi", "mkv", "mov", "webm", "mpg", "mpeg", "m4v");

    /**
     * The frame size the lab's frames have, whether other sizes are resized to it, and the limits:
     * frames per video, and the largest width and height decoded at all.
     */
    public record Settings(int width, int height, boolean resize, int maxFrames, int maxWidth, int maxHeight) {
        public static Settings standard(boolean resize) {
            return new Settings(528, 406, resize, 100_000, 4096, 4096);
        }

        public Settings withMaxFrames(int frames) {
            return new Settings(width, height, resize, frames, maxWidth, maxHeight);
        }
    }

    /** One decoded frame on disk. */
    public record Staged(String name, Path png) {
    }

    private VideoFrames() {
    }

    static boolean isVideo(String lowerCaseName) {
        int dot = lowerCaseName.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(lowerCaseName.substring(dot + 1));
    }

    /** Decodes every frame of the video into {@code dir}; refuses the video whole on any failure. */
    public static List<Staged> stage(Path video, String capture, Path dir, Settings settings)
            throws CaptureFiles.RefusedInputException, IOException {
        try {
            FrameName.parse(FrameName.of(capture, 0), null);
        } catch (IllegalArgumentException e) {
            throw new CaptureFiles.RefusedInputException(video + ": its frames cannot be named after '" + capture
                    + "' (" + e.getMessage() + "); name the capture with --capture");
        }
        List<Staged> staged = new ArrayList<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toFile())) {
            grabber.setPixelFormat(avutil.AV_PIX_FMT_GRAY8);
            try {
                grabber.start();
            } catch (FrameGrabber.Exception e) {
                throw new CaptureFiles.RefusedInputException(video + ": not a video FFmpeg can decode (" + e.getMessage()
                        + ")");
            }
            int width = grabber.getImageWidth();
            int height = grabber.getImageHeight();
            if (width <= 0 || height <= 0) {
                throw new CaptureFiles.RefusedInputException(video + ": holds no video stream");
            }
            if (width > settings.maxWidth() || height > settings.maxHeight()) {
                throw new CaptureFiles.RefusedInputException(String.format(Locale.ROOT,
                        "%s: %d x %d pixels, over the limit of %d x %d", video, width, height, settings.maxWidth(),
                        settings.maxHeight()));
            }
            if ((width != settings.width() || height != settings.height()) && !settings.resize()) {
                throw new CaptureFiles.RefusedInputException(String.format(Locale.ROOT,
                        "%s: frames are %d x %d, the lab's are %d x %d (--resize scales them)", video, width, height,
                        settings.width(), settings.height()));
            }
            int declared = grabber.getLengthInVideoFrames();
            if (declared > settings.maxFrames()) {
                throw new CaptureFiles.RefusedInputException(video + ": " + declared + " frames, over the limit of "
                        + settings.maxFrames());
            }
            // Decoding is FFmpeg's and fast; PNG encoding is most of the work: on every core, a few
            // frames ahead at most, so memory stays bounded.
            int threads = Runtime.getRuntime().availableProcessors();
            ExecutorService encoders = Executors.newFixedThreadPool(threads);
            Deque<Future<?>> encoding = new ArrayDeque<>();
            try {
                Frame frame;
                while ((frame = grabImage(grabber, video, staged.size())) != null) {
                    if (staged.size() >= settings.maxFrames()) {
                        throw new CaptureFiles.RefusedInputException(video + ": over " + settings.maxFrames() + " frames");
                    }
                    BufferedImage gray = FrameResize.to(toGray(frame), settings.width(), settings.height());
                    String name = FrameName.of(capture, staged.size());
                    Path png = dir.resolve(name);
                    encoding.add(encoders.submit(() -> {
                        Files.write(png, PngFrameCodec.encode(gray));
                        return null;
                    }));
                    staged.add(new Staged(name, png));
                    while (encoding.size() > 2 * threads) {
                        finish(encoding.poll());
                    }
                }
                while (!encoding.isEmpty()) {
                    finish(encoding.poll());
                }
            } finally {
                encoders.shutdownNow();
            }
            if (declared > 0 && staged.size() < declared * 0.9 - 1) {
                throw new CaptureFiles.RefusedInputException(video + ": decoding stopped after " + staged.size()
                        + " of " + declared + " frames (a truncated video?)");
            }
        }
        if (staged.isEmpty()) {
            throw new CaptureFiles.RefusedInputException(video + ": no frame could be decoded");
        }
        return staged;
    }

    private static void finish(Future<?> encoded) throws IOException {
        try {
            encoded.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while staging a video", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private static Frame grabImage(FFmpegFrameGrabber grabber, Path video, int decoded)
            throws CaptureFiles.RefusedInputException {
        try {
            return grabber.grabImage();
        } catch (FrameGrabber.Exception e) {
            throw new CaptureFiles.RefusedInputException(video + ": decoding failed after " + decoded + " frames ("
                    + e.getMessage() + ")");
        }
    }

    /** FFmpeg's 8-bit gray planes, row by row (rows may be padded to a stride). */
    private static BufferedImage toGray(Frame frame) {
        BufferedImage image = new BufferedImage(frame.imageWidth, frame.imageHeight, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        ByteBuffer plane = ((ByteBuffer) frame.image[0]).duplicate();
        for (int y = 0; y < frame.imageHeight; y++) {
            plane.position(y * frame.imageStride);
            plane.get(pixels, y * frame.imageWidth, frame.imageWidth);
        }
        return image;
    }
}
