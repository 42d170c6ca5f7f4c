package tipstream.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CvatXmlReader;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.PngFrameCodec;

/**
 * The frame and CVAT parsers, built once from configuration, and the index of what ingest has
 * published (S3 and Kafka clients: service-common).
 */
@ApplicationScoped
public class Parsers {

    @Produces
    FrameFormat frameFormat(IngestConfig config) {
        return new FrameFormat(config.frame().width(), config.frame().height());
    }

    @Produces
    PngFrameCodec frameCodec(IngestConfig config, FrameFormat format) {
        return new PngFrameCodec(format, config.frame().maxBytes());
    }

    @Produces
    @ApplicationScoped
    FrameIndex frameIndex(BlobStore blobs) {
        return new FrameIndex(blobs);
    }

    @Produces
    CvatXmlReader cvatReader(IngestConfig config) {
        return new CvatXmlReader(config.cvat().maxBytes());
    }
}
