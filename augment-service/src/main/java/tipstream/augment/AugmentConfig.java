package tipstream.augment;

import io.smallrye.config.ConfigMapping;
import java.util.List;

/** {@code tipstream.augment.*}: which dataset to build, and how. */
@ConfigMapping(prefix = "tipstream.augment")
public interface AugmentConfig {
    String dataset();

    int intervalSeconds();

    int evalPercent();

    String splitSalt();

    List<Augmentation> augmentations();

    int shardSize();

    int inputWidth();

    int inputHeight();
}
