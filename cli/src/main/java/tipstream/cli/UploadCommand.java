package tipstream.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.RigClient.RigFrame;
import tipstream.dataset.SafeZip;
import tipstream.v1.Rejection;
import tipstream.v1.UploadSummary;

/** Frames from folders, archives and videos, streamed to ingest like a rig's, with a summary per file. */
@Command(name = "upload", mixinStandardHelpOptions = true,
        description = "Upload frames: PNG files, folders of them, zip or tar archives (.tar, .tar.gz, .tgz), videos.")
public final class UploadCommand implements Callable<Integer> {
    /** Frames per gRPC call: each call holds its frames in memory, and a retry re-sends one call. */
    private static final int FRAMES_PER_CALL = 200;

    @Mixin
    Target target;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "files or folders")
    List<Path> paths;

    @Option(names = "--capture", description = "the capture id of every frame (default: from each frame's"
            + " <capture>-cam<L|R><n>.png name, else its folder's, archive's or video's name)")
    String capture;

    @Option(names = "--resize", description = "scale frames (PNGs, videos) of another size to the lab's 528 x 406")
    boolean resize;

    @Option(names = "--max-video-frames", defaultValue = "100000", description = "longest video taken (frames)")
    int maxVideoFrames;

    @Override
    public Integer call() throws Exception {
        VideoFrames.Settings video = VideoFrames.Settings.standard(resize).withMaxFrames(maxVideoFrames);
        int failed = 0;
        try (RigClient ingest = target.ingest()) {
            for (Path path : paths) {
                try (CaptureFiles files = CaptureFiles.stage(path, capture, SafeZip.Limits.standard(), video)) {
                    failed += upload(ingest, path, files) ? 0 : 1;
                } catch (CaptureFiles.RefusedInputException e) {
                    System.out.println(path + ": refused, nothing sent: " + e.getMessage());
                    failed++;
                }
            }
        }
        return failed == 0 ? 0 : 2;
    }

    /** Sends one path's frames, capture by capture; prints its summary; true when nothing was rejected. */
    private boolean upload(RigClient ingest, Path path, CaptureFiles files) throws Exception {
        Map<String, List<CaptureFiles.Frame>> byCapture = new LinkedHashMap<>();
        for (CaptureFiles.Frame frame : files.frames()) {
            byCapture.computeIfAbsent(frame.captureId(), c -> new ArrayList<>()).add(frame);
        }
        UploadSummary.Builder total = UploadSummary.newBuilder();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("upload " + path.getFileName())
                .setInitialMax(files.frames().size()).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .continuousUpdate().build()) {
            for (Map.Entry<String, List<CaptureFiles.Frame>> capture : byCapture.entrySet()) {
                List<CaptureFiles.Frame> frames = capture.getValue();
                for (int start = 0; start < frames.size(); start += FRAMES_PER_CALL) {
                    List<RigFrame> call = new ArrayList<>();
                    for (CaptureFiles.Frame frame : frames.subList(start, Math.min(frames.size(), start + FRAMES_PER_CALL))) {
                        call.add(RigFrame.unlabelled(frame.captureId(), frame.name(), Files.readAllBytes(frame.png())));
                    }
                    long before = bar.getCurrent();
                    UploadSummary summary = ingest.upload(call, 5, sent -> bar.stepTo(before + sent));
                    total.setAccepted(total.getAccepted() + summary.getAccepted())
                            .setDuplicates(total.getDuplicates() + summary.getDuplicates())
                            .setRejected(total.getRejected() + summary.getRejected())
                            .setBytesStored(total.getBytesStored() + summary.getBytesStored())
                            .addAllRejections(summary.getRejectionsList());
                }
            }
        }
        System.out.printf("%s: %d frames of %d capture(s): %d new, %d already stored, %d rejected, %.1f MB stored%n",
                path, files.frames().size(), byCapture.size(), total.getAccepted(), total.getDuplicates(),
                total.getRejected(), total.getBytesStored() / 1e6);
        for (Rejection rejection : total.getRejectionsList().subList(0, Math.min(10, total.getRejectionsCount()))) {
            System.out.println("  rejected " + rejection.getFrameName() + ": " + rejection.getReason());
        }
        if (total.getRejected() > 10) {
            System.out.println("  ... and " + (total.getRejected() - 10) + " more");
        }
        if (!files.skipped().isEmpty()) {
            System.out.println("  skipped (not PNG): " + files.skipped().size() + " file(s), e.g. " + files.skipped().get(0));
        }
        return total.getRejected() == 0;
    }
}
