package tipstream.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;
import tipstream.v1.Rejection;

/** A CVAT export's labels (and the images of its zip) into the platform. */
@Command(name = "import-cvat", mixinStandardHelpOptions = true,
        description = "Import a CVAT export: annotations.xml or the zip CVAT downloads (CVAT for images or for video 1.1).")
public final class ImportCvatCommand implements Callable<Integer> {
    /** Ingest's largest message (quarkus.grpc.server.max-inbound-message-size). */
    static final long MAX_BYTES = 32L << 20;

    @Mixin
    Target target;

    @Parameters(paramLabel = "FILE", description = "the export (.xml or .zip)")
    Path file;

    @Option(names = "--label", description = "the label that marks the tip (default: tip, else the export's only label)")
    String label;

    @Option(names = "--video-capture", description = "CVAT for video: the capture its frames belong to"
            + " (default: the video's file name without extension, as `upload` names a video's frames)")
    String videoCapture;

    @Override
    public Integer call() throws Exception {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            System.out.printf("%s: %.0f MB, over the %d MB one import takes: upload its images with `tipstream upload`"
                    + " and import its annotations.xml alone%n", file, size / 1e6, MAX_BYTES >> 20);
            return 2;
        }
        ManagedChannel channel = target.ingestChannel();
        try {
            CvatImport.Builder request = CvatImport.newBuilder().setXml(ByteString.copyFrom(Files.readAllBytes(file)))
                    .setSourceName(file.getFileName().toString());
            if (label != null) {
                request.setLabel(label);
            }
            if (videoCapture != null) {
                request.setVideoCapture(videoCapture);
            }
            ImportSummary summary = IngestGrpc.newBlockingStub(channel).withCallCredentials(target.credentials())
                    .importCvat(request.build());
            if (summary.hasImages()) {
                System.out.printf("%s: images in the zip: %d new, %d already stored, %d rejected%n", file,
                        summary.getImages().getAccepted(), summary.getImages().getDuplicates(),
                        summary.getImages().getRejected());
            }
            System.out.printf("%s: CVAT for %s, tip label '%s', %d frames covered: %d tip labels, %d no-tip labels"
                    + " (new or changed), %d rejected%s%n", file, summary.getFormat().toLowerCase(), summary.getLabel(),
                    summary.getFramesCovered(), summary.getLabelsPublished(), summary.getNoTipLabels(),
                    summary.getRejected(), summary.getNotIngested() > 0 ? ", " + summary.getNotIngested()
                            + " video frames without a tip never uploaded (skipped)" : "");
            for (Rejection rejection : summary.getRejectionsList().subList(0, Math.min(10, summary.getRejectionsCount()))) {
                System.out.println("  rejected " + rejection.getFrameName() + ": " + rejection.getReason());
            }
            if (summary.getRejected() > 10) {
                System.out.println("  ... and " + (summary.getRejected() - 10) + " more");
            }
            return summary.getRejected() == 0 ? 0 : 2;
        } finally {
            channel.shutdownNow();
        }
    }
}
