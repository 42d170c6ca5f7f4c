package tipstream.ingest;

import com.google.protobuf.ByteString;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tipstream.dataset.CvatXmlReader;
import tipstream.dataset.CvatXmlReader.CvatExport;
import tipstream.dataset.CvatXmlReader.CvatFrame;
import tipstream.dataset.CvatXmlReader.Format;
import tipstream.dataset.CvatXmlReader.InvalidCvatException;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.FrameName;
import tipstream.dataset.SafeZip;
import tipstream.dataset.SafeZip.InvalidArchiveException;
import tipstream.v1.ImportSummary;
import tipstream.v1.UploadFrame;
import tipstream.v1.UploadSummary;

/**
 * Turns a CVAT export ({@link CvatXmlReader}: images or video format, as XML or as the zip CVAT
 * downloads) into tip labels, for the frames the export covers and no others: so importing one
 * job's export leaves the other jobs' labels alone. A zip's images are ingested first, under the
 * names the export gives them. Frames never ingested are rejected by name (a label needs its
 * frame), except the frames of a video range that say nothing and were not uploaded.
 */
@ApplicationScoped
public class CvatImporter {
    private static final String ANNOTATIONS = "annotations.xml";
    private static final Pattern VIDEO_FRAME_FILE = Pattern.compile("frame_(\\d{1,9})\\.[A-Za-z]+");
    /** Frames labelled at the same time: enough to overlap the S3 and Kafka round trips of each. */
    private static final int IN_FLIGHT = 16;

    private final CvatXmlReader reader;
    private final FrameFormat format;
    private final FrameIndex index;
    private final LabelPublisher labels;
    private final FrameLocks locks;
    private final FrameIngestor ingestor;
    private final ExecutorService workers = Executors.newFixedThreadPool(IN_FLIGHT, runnable -> {
        Thread thread = new Thread(runnable, "cvat-import");
        thread.setDaemon(true);
        return thread;
    });

    public CvatImporter(CvatXmlReader reader, FrameFormat format, FrameIndex index, LabelPublisher labels,
            FrameLocks locks, FrameIngestor ingestor) {
        this.reader = reader;
        this.format = format;
        this.index = index;
        this.labels = labels;
        this.locks = locks;
        this.ingestor = ingestor;
    }

    /**
     * What to import: the export's bytes (XML or zip), its file name, the reader's choices, and whether the
     * client has gone (then the frames not yet stored or labelled are left, and the import ends).
     */
    public record Request(byte[] export, String sourceName, String label, String videoCapture,
            BooleanSupplier cancelled) {
    }

    /**
     * @throws InvalidCvatException when the export as a whole cannot be read (nothing is stored or published)
     * @throws CancellationException when the client cancelled: what was stored and published stays, a later
     *     import of the same export does the rest
     */
    public ImportSummary importExport(Request request) throws Exception {
        byte[] xml = request.export();
        List<SafeZip.Entry> images = List.of();
        if (SafeZip.isZip(xml)) {
            List<SafeZip.Entry> entries;
            try {
                entries = SafeZip.read(xml, SafeZip.Limits.standard());
            } catch (InvalidArchiveException e) {
                throw new InvalidCvatException("CVAT zip export refused: " + e.getMessage(), e);
            }
            xml = entries.stream().filter(e -> e.path().equals(ANNOTATIONS)).findFirst().map(SafeZip.Entry::bytes)
                    .orElseThrow(() -> new InvalidCvatException("the zip holds no " + ANNOTATIONS
                            + " at its top level: not a CVAT export", null));
            images = entries.stream().filter(e -> e.path().startsWith("images/")).toList();
        }
        CvatExport export = reader.read(xml, request.label(), request.videoCapture());
        String source = source(request.sourceName());
        ImportSummary.Builder summary = ImportSummary.newBuilder().setFormat(export.format().name())
                .setLabel(export.label()).setFramesCovered(export.frames().size());
        if (!images.isEmpty()) {
            summary.setImages(ingestImages(images, export, source, request.cancelled()));
        }
        List<Labelled> toPublish = new ArrayList<>();
        Map<String, List<FrameName>> listed = new HashMap<>();
        Set<String> covered = new HashSet<>();
        for (CvatFrame frame : export.frames()) {
            FrameName name;
            try {
                name = FrameName.parse(frame.name(), null);
            } catch (IllegalArgumentException e) {
                reject(summary, frame.name(), e.getMessage());
                continue;
            }
            covered.add(name.captureId() + "/" + name.name());
            Optional<String> problem = check(frame);
            if (problem.isPresent()) {
                reject(summary, frame.name(), problem.get());
                continue;
            }
            LabelPublisher.Tip tip = frame.tip().map(t -> new LabelPublisher.Tip(true, t.x(), t.y(), t.clipped()))
                    .orElse(LabelPublisher.Tip.NONE);
            toPublish.add(new Labelled(name, tip, export.format() == Format.VIDEO && !tip.visible()));
            listed.computeIfAbsent(name.captureId(), c -> new ArrayList<>()).add(name);
        }
        if (export.format() == Format.IMAGES) {
            // Exports that leave out frames whose tip is hidden (CVAT before 1.0): a frame left out
            // between two listed frames of its capture is "no tip".
            for (Map.Entry<String, List<FrameName>> capture : listed.entrySet()) {
                List<FrameName> ingested = index.frameNames(capture.getKey()).stream()
                        .map(frame -> FrameName.parse(frame, capture.getKey())).toList();
                Set<String> names = new HashSet<>();
                ingested.forEach(n -> names.add(n.name()));
                int first = Integer.MAX_VALUE;
                int last = Integer.MIN_VALUE;
                for (FrameName name : capture.getValue()) {
                    if (names.contains(name.name()) && name.index() >= 0) {
                        first = Math.min(first, name.index());
                        last = Math.max(last, name.index());
                    }
                }
                for (FrameName name : ingested) {
                    if (name.index() > first && name.index() < last
                            && covered.add(name.captureId() + "/" + name.name())) {
                        toPublish.add(new Labelled(name, LabelPublisher.Tip.NONE, true));
                    }
                }
            }
        }
        publishAll(summary, toPublish, source, request.cancelled());
        return summary.build();
    }

    /** The labels' source: "cvat:" and the export's file name, made plain and short enough for a frame's source. */
    static String source(String sourceName) {
        String name = sourceName.isBlank() ? "upload" : sourceName.replaceAll("[^A-Za-z0-9._-]", "_");
        return "cvat:" + name.substring(0, Math.min(name.length(), FrameIngestor.MAX_SOURCE_CHARS - 5));
    }

    /** A label to publish; {@code optional} when a frame never ingested is skipped rather than rejected. */
    private record Labelled(FrameName name, LabelPublisher.Tip tip, boolean optional) {
    }

    private enum Outcome { PUBLISHED, UNCHANGED, NOT_INGESTED, CANCELLED }

    private Optional<String> check(CvatFrame frame) {
        if (!frame.readable()) {
            return Optional.of(frame.problem());
        }
        if ((frame.width() != 0 || frame.height() != 0)
                && (frame.width() != format.width() || frame.height() != format.height())) {
            return Optional.of("export says the image is " + frame.width() + " x " + frame.height() + ", frames are "
                    + format.width() + " x " + format.height());
        }
        if (frame.tip().isPresent() && !format.contains(frame.tip().get().x(), frame.tip().get().y())) {
            return Optional.of("tip (" + frame.tip().get().x() + ", " + frame.tip().get().y() + ") lies outside the frame");
        }
        return Optional.empty();
    }

    /** The zip's images, stored as frames under the names the export gives them. */
    private UploadSummary ingestImages(List<SafeZip.Entry> images, CvatExport export, String source,
            BooleanSupplier cancelled) throws Exception {
        Set<String> listed = new HashSet<>();
        export.frames().forEach(frame -> listed.add(frame.name()));
        List<Future<FrameIngestor.Outcome>> outcomes = new ArrayList<>();
        UploadSummary.Builder summary = UploadSummary.newBuilder();
        for (SafeZip.Entry image : images) {
            String name = image.baseName();
            Matcher videoFrame = VIDEO_FRAME_FILE.matcher(name);
            if (export.format() == Format.VIDEO && videoFrame.matches()) {
                String capture = FrameName.captureOf(export.frames().get(0).name()).orElse("");
                name = FrameName.of(capture, Integer.parseInt(videoFrame.group(1)));
            }
            if (!listed.contains(name)) {
                Rejections.add(summary, image.path(), "an image the export does not list");
                continue;
            }
            UploadFrame upload = UploadFrame.newBuilder().setFrameName(name).setPng(ByteString.copyFrom(image.bytes()))
                    .setSource(source).build();
            outcomes.add(workers.submit(() -> cancelled.getAsBoolean() ? null : ingestor.ingest(upload)));
        }
        for (Future<FrameIngestor.Outcome> future : outcomes) {
            FrameIngestor.Outcome outcome = future.get();
            if (outcome != null) {
                outcome.addTo(summary);
            }
        }
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("cancelled by the client after storing " + summary.getAccepted()
                    + " new images");
        }
        return summary.build();
    }

    private void publishAll(ImportSummary.Builder summary, List<Labelled> frames, String source,
            BooleanSupplier cancelled) throws Exception {
        List<Future<Outcome>> outcomes = new ArrayList<>(frames.size());
        for (Labelled frame : frames) {
            outcomes.add(workers.submit(() -> {
                if (cancelled.getAsBoolean()) {
                    return Outcome.CANCELLED;
                }
                return locks.withLock(frame.name(), () -> {
                    if (index.frame(frame.name()).isEmpty()) {
                        return Outcome.NOT_INGESTED;
                    }
                    return labels.publish(frame.name(), frame.tip(), source) ? Outcome.PUBLISHED : Outcome.UNCHANGED;
                });
            }));
        }
        for (int i = 0; i < frames.size(); i++) {
            Labelled frame = frames.get(i);
            switch (outcomes.get(i).get()) {
                case PUBLISHED -> {
                    if (frame.tip().visible()) {
                        summary.setLabelsPublished(summary.getLabelsPublished() + 1);
                    } else {
                        summary.setNoTipLabels(summary.getNoTipLabels() + 1);
                    }
                }
                case NOT_INGESTED -> {
                    if (frame.optional()) {
                        summary.setNotIngested(summary.getNotIngested() + 1);
                    } else {
                        reject(summary, frame.name().name(), "unknown frame: no frame of that name was ingested for"
                                + " capture " + frame.name().captureId());
                    }
                }
                case UNCHANGED, CANCELLED -> { }
            }
        }
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("cancelled by the client after publishing "
                    + (summary.getLabelsPublished() + summary.getNoTipLabels()) + " of " + frames.size() + " labels");
        }
    }

    @PreDestroy
    void stop() {
        workers.shutdown();
    }

    private static void reject(ImportSummary.Builder summary, String frameName, String reason) {
        Rejections.add(summary, frameName, reason);
    }
}
