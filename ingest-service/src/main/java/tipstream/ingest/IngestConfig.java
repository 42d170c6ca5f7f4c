package tipstream.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The service's configuration, under {@code tipstream.*} in application.properties (S3: service-common). */
@ConfigMapping(prefix = "tipstream")
public interface IngestConfig {
    Frame frame();

    Cvat cvat();

    Upload upload();

    interface Frame {
        @WithDefault("528")
        int width();

        @WithDefault("406")
        int height();

        @WithDefault("4194304")
        int maxBytes();
    }

    interface Upload {
        /** Upload streams taken at once by this instance; one more is told to re-send in a moment. */
        @WithDefault("8")
        int maxConcurrent();
    }

    interface Cvat {
        @WithDefault("33554432")
        int maxBytes();

        /** CVAT imports taken at once by this instance (each holds its export); one more is told to retry. */
        @WithDefault("2")
        int maxConcurrent();
    }
}
