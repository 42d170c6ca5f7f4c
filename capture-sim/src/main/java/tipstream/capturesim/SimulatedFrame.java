package tipstream.capturesim;

import java.awt.image.BufferedImage;

/**
 * One rendered frame and its exact truth: the tip's projected position (original-frame pixels,
 * pixel (i, j) centred at (i + 0.5, j + 0.5)) and whether the camera can see it.
 */
public record SimulatedFrame(String frameName, BufferedImage image, double tipX, double tipY, boolean inFrame,
        boolean hidden) {
    public boolean visible() {
        return inFrame && !hidden;
    }
}
