package tipstream.augment;

import java.awt.image.BufferedImage;

/** A grayscale frame after augmentation and where its tip went; {@code visible} false is "no tip". */
public record AugmentedFrame(BufferedImage image, boolean visible, double tipX, double tipY) {
}
