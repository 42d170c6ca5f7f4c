package tipstream.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The service's configuration, under {@code tipstream.*} in application.properties. */
@ConfigMapping(prefix = "tipstream")
public interface IngestConfig {
    S3 s3();

    Frame frame();

    Cvat cvat();

    interface S3 {
        String endpoint();

        String accessKey();

        String secretKey();

        @WithDefault("tipstream")
        String bucket();
    }

    interface Frame {
        @WithDefault("528")
        int width();

        @WithDefault("406")
        int height();

        @WithDefault("4194304")
        int maxBytes();
    }

    interface Cvat {
        @WithDefault("33554432")
        int maxBytes();
    }
}
