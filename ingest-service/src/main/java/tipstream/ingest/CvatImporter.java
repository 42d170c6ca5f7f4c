package tipstream.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tipstream.dataset.CvatXmlReader;
import tipstream.dataset.CvatXmlReader.CvatImage;
import tipstream.dataset.CvatXmlReader.InvalidCvatException;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameName;
import tipstream.v1.ImportSummary;
import tipstream.v1.Rejection;

/**
 * Turns a "CVAT for images 1.1" export into tip labels. Each listed image with a box gets a tip at
 * the box centre; every ingested frame of the export's captures that has no box (listed without
 * one, or absent, as CVAT leaves out frames with a hidden tip) gets "no tip". Frames that were
 * never ingested are rejected by name: a label needs its frame.
 */
@ApplicationScoped
public class CvatImporter {
    private final CvatXmlReader reader;
    private final FrameFormat format;
    private final FrameIndex index;
    private final LabelPublisher labels;
    private final FrameLocks locks;

    public CvatImporter(CvatXmlReader reader, FrameFormat format, FrameIndex index, LabelPublisher labels,
            FrameLocks locks) {
        this.reader = reader;
        this.format = format;
        this.index = index;
        this.labels = labels;
        this.locks = locks;
    }

    /**
     * @throws InvalidCvatException when the export as a whole cannot be read (nothing is published)
     */
    public ImportSummary importExport(byte[] xml, String sourceName) throws Exception {
        List<CvatImage> images = reader.read(xml);
        String source = "cvat:" + (sourceName.isBlank() ? "upload" : sourceName.replaceAll("[^A-Za-z0-9._-]", "_"));
        ImportSummary.Builder summary = ImportSummary.newBuilder();
        Set<String> listed = new HashSet<>();
        Set<String> captures = new LinkedHashSet<>();
        for (CvatImage image : images) {
            FrameName name;
            try {
                name = FrameName.parse(image.name(), null);
            } catch (IllegalArgumentException e) {
                reject(summary, image.name(), e.getMessage());
                continue;
            }
            if (image.width() != format.width() || image.height() != format.height()) {
                reject(summary, image.name(), "export says the image is " + image.width() + " x " + image.height()
                        + ", frames are " + format.width() + " x " + format.height());
                continue;
            }
            if (index.frame(name).isEmpty()) {
                reject(summary, image.name(), "unknown frame: no frame of that name was ingested for capture "
                        + name.captureId());
                continue;
            }
            LabelPublisher.Tip tip = LabelPublisher.Tip.NONE;
            if (image.tip().isPresent()) {
                var box = image.tip().get();
                if (!format.contains(box.x(), box.y())) {
                    reject(summary, image.name(), "box centre (" + box.x() + ", " + box.y() + ") lies outside the frame");
                    continue;
                }
                tip = new LabelPublisher.Tip(true, box.x(), box.y(), box.clipped());
            }
            listed.add(name.captureId() + "/" + name.name());
            captures.add(name.captureId());
            publish(summary, name, tip, source);
        }
        for (String capture : captures) {
            for (String frame : index.frameNames(capture)) {
                if (!listed.contains(capture + "/" + frame)) {
                    publish(summary, FrameName.parse(frame, capture), LabelPublisher.Tip.NONE, source);
                }
            }
        }
        return summary.build();
    }

    private void publish(ImportSummary.Builder summary, FrameName name, LabelPublisher.Tip tip, String source)
            throws Exception {
        boolean published = locks.withLock(name, () -> labels.publish(name, tip, source));
        if (published && tip.visible()) {
            summary.setLabelsPublished(summary.getLabelsPublished() + 1);
        } else if (published) {
            summary.setNoTipLabels(summary.getNoTipLabels() + 1);
        }
    }

    private static void reject(ImportSummary.Builder summary, String frameName, String reason) {
        summary.setRejected(summary.getRejected() + 1)
                .addRejections(Rejection.newBuilder().setFrameName(frameName).setReason(reason));
    }
}
