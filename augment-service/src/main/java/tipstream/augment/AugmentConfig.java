package tipstream.augment;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/** {@code tipstream.augment.*}: which dataset to build, and how. */
@ConfigMapping(prefix = "tipstream.augment")
public interface AugmentConfig {
    String dataset();

    int intervalSeconds();

    int evalPercent();

    /** Share of captures held out of training to calibrate the presence threshold and choose checkpoints. */
    int validationPercent();

    String splitSalt();

    /**
     * Augmentations baked into the train split, one sample each per frame; empty (an empty value)
     * for none, when the trainer draws its own random augmentation every epoch.
     */
    Optional<List<Augmentation>> augmentations();

    int shardSize();

    int inputWidth();

    int inputHeight();
}
