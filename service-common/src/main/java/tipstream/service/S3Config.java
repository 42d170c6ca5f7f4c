package tipstream.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code tipstream.s3.*}: where every service keeps its blobs. */
@ConfigMapping(prefix = "tipstream.s3")
public interface S3Config {
    String endpoint();

    String accessKey();

    String secretKey();

    @WithDefault("tipstream")
    String bucket();
}
