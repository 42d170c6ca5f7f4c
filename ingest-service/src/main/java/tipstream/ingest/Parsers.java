package tipstream.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import tipstream.dataset.CvatXmlReader;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.PngFrameCodec;

/** The frame and CVAT parsers, built once from configuration (S3 and Kafka clients: service-common). */
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
    CvatXmlReader cvatReader(IngestConfig config) {
        return new CvatXmlReader(config.cvat().maxBytes());
    }
}
