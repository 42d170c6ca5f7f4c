package tipstream.augment;

/** The augmentations of BACKGROUND.md; the first two move pixels (and so the tip). */
public enum Augmentation {
    ROTATE(true), FLIP(true), BLUR(false), SHARPEN(false), SALT_AND_PEPPER(false), GAUSSIAN_NOISE(false),
    BRIGHTER(false), DARKER(false);

    private final boolean movesPixels;

    Augmentation(boolean movesPixels) {
        this.movesPixels = movesPixels;
    }

    public boolean movesPixels() {
        return movesPixels;
    }
}
