package tipstream.dataset;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import tipstream.v1.DatasetSample;

/**
 * Checks and normalises uploaded frames. The header is read before any pixel is decoded, so a
 * PNG that claims a huge size is refused without allocating it. Frames that are not 8-bit
 * grayscale (RGB, 16-bit, palette) are converted, and the stored bytes are then the converted PNG.
 */
public final class PngFrameCodec {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static {
        ImageIO.setUseCache(false); // decode in memory; no temp files per upload
    }

    private final FrameFormat format;
    private final int maxBytes;

    public PngFrameCodec(FrameFormat format, int maxBytes) {
        this.format = format;
        this.maxBytes = maxBytes;
    }

    /** The most bytes a frame's PNG may have. */
    public int maxBytes() {
        return maxBytes;
    }

    /** A frame that passed every check: the grayscale image and the PNG bytes to store. */
    public record CheckedFrame(BufferedImage image, byte[] png) {
    }

    public CheckedFrame check(byte[] bytes) throws InvalidFrameException {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidFrameException("empty frame: no PNG bytes");
        }
        if (bytes.length > maxBytes) {
            throw new InvalidFrameException("frame is " + bytes.length + " bytes, over the limit of " + maxBytes);
        }
        if (bytes.length < PNG_SIGNATURE.length
                || !Arrays.equals(Arrays.copyOf(bytes, PNG_SIGNATURE.length), PNG_SIGNATURE)) {
            throw new InvalidFrameException("not a PNG (the PNG signature is missing)");
        }
        BufferedImage image = decode(bytes);
        if (image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            return new CheckedFrame(image, bytes);
        }
        BufferedImage gray = toGray(image);
        return new CheckedFrame(gray, encode(gray));
    }

    private BufferedImage decode(byte[] bytes) throws InvalidFrameException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width != format.width() || height != format.height()) {
                    throw new InvalidFrameException("frame is " + width + " x " + height + " pixels, expected "
                            + format.width() + " x " + format.height());
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (InvalidFrameException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO reports truncation and corrupt chunks as IIOException, some as runtime exceptions
            throw new InvalidFrameException("corrupt or truncated PNG: " + e.getMessage(), e);
        }
    }

    /**
     * Converts by hand: Java's ColorConvertOp into TYPE_BYTE_GRAY goes through a linear gray
     * colour space and darkens sRGB images.
     */
    private static BufferedImage toGray(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage gray = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        var out = gray.getRaster();
        var in = image.getRaster();
        boolean singleBand = in.getNumBands() == 1 && image.getColorModel().getNumComponents() == 1;
        double scale = singleBand ? 255.0 / ((1 << image.getColorModel().getComponentSize(0)) - 1) : 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int value;
                if (singleBand) {
                    value = (int) Math.round(in.getSample(x, y, 0) * scale);
                } else {
                    int rgb = image.getRGB(x, y);
                    value = (int) Math.round(0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff)
                            + 0.114 * (rgb & 0xff));
                }
                out.setSample(x, y, 0, value);
            }
        }
        return gray;
    }

    /**
     * A stored frame (one that passed {@link #check}) decoded, in memory: ImageIO reading a plain
     * stream caches it in a temporary file unless told otherwise, which made a decode 2-3x slower
     * (about 4 ms instead of 1.4 for a 528 x 406 frame, measured here). Fails when the bytes are not
     * an 8-bit grayscale PNG.
     */
    public static BufferedImage decodeStored(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(png)));
        if (image == null || image.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IOException("not an 8-bit grayscale PNG");
        }
        return image;
    }

    /**
     * A dataset sample's frame, as {@link #decodeStored}; the failure names the sample. The one way
     * the trainer's loader, eval and its worst frames decode a sample.
     */
    public static BufferedImage decodeSample(DatasetSample sample) throws IOException {
        try {
            return decodeStored(sample.getPng().toByteArray());
        } catch (IOException e) {
            throw new IOException("sample " + sample.getCaptureId() + "/" + sample.getFrameName() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Encodes a grayscale image as PNG. */
    public static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(image.getWidth() * image.getHeight() / 2);
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
