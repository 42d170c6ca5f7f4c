package tipstream.capturesim;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.v1.UploadSummary;

/** Command line: render a lab session and write it to disk, or stream it to an ingest service. */
@Command(name = "capture-sim", mixinStandardHelpOptions = true,
        description = "Renders simulated robot-arm captures of the satellite mock-up.")
public final class CaptureSimMain implements Callable<Integer> {
    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--captures", defaultValue = "3")
    int captures;

    @Option(names = "--frames", defaultValue = "60", description = "frames per capture")
    int frames;

    @Option(names = "--out", description = "write PNG frames, CVAT XML and truth CSV under this folder")
    Path out;

    @Option(names = "--ingest", description = "stream to an ingest service at host:port")
    String ingest;

    @Option(names = "--token", description = "bearer token for the ingest service", defaultValue = "")
    String token;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CaptureSimMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        List<SimulatedCapture> session = LabSession.render(seed, captures, frames);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("rendered %d frames in %.1f s (%.0f frames/s)%n", captures * frames, seconds,
                captures * frames / seconds);
        for (SimulatedCapture capture : session) {
            System.out.printf("%s (%s): %d of %d frames show the tip%n", capture.captureId(), capture.kind(),
                    capture.visibleCount(), capture.frames().size());
            if (out != null) {
                System.out.println("  written: " + capture.writeTo(out.resolve(capture.captureId())));
            }
        }
        if (ingest != null) {
            String[] hostPort = ingest.split(":");
            try (RigClient rig = new RigClient(hostPort[0], Integer.parseInt(hostPort[1]), "capture-sim", token)) {
                for (SimulatedCapture capture : session) {
                    UploadSummary summary = rig.upload(capture.labelledRigFrames(), 5, n -> { });
                    System.out.printf("  %s: %d accepted, %d duplicates, %d rejected%n", capture.captureId(),
                            summary.getAccepted(), summary.getDuplicates(), summary.getRejected());
                }
            }
        }
        return 0;
    }
}
