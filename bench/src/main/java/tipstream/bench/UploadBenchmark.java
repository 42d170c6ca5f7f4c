package tipstream.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.SimulatedCapture;
import tipstream.capturesim.SimulatedFrame;
import tipstream.cli.Tipstream;
import tipstream.dataset.PngFrameCodec;
import tipstream.devstack.DevStack;
import tipstream.devstack.ServiceProcess;

/**
 * Frames/s into ingest-service on the embedded stack by each way `tipstream upload` takes them (a
 * folder of PNGs, a zip of them, an MPEG-4 video decoded through JavaCV), beside a rig's gRPC
 * stream of the same kind of frames already in memory, and beside `ffmpeg -i VIDEO -f null -`
 * decoding the same video alone (Debian's ffmpeg). Each source and round uses freshly rendered
 * frames, so content addressing never turns an upload into no-ops. Medians of the rounds.
 */
@Command(name = "UploadBenchmark", mixinStandardHelpOptions = true)
public final class UploadBenchmark implements Callable<Integer> {
    @Option(names = "--frames", defaultValue = "200", description = "frames per source and round")
    int frames;

    @Option(names = "--rounds", defaultValue = "3")
    int rounds;

    @Option(names = "--project-dir", defaultValue = ".")
    Path projectDir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new UploadBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("tipstream-upload-bench-");
        double[] rig = new double[rounds];
        double[] folder = new double[rounds];
        double[] zip = new double[rounds];
        double[] video = new double[rounds];
        double[] ffmpeg = new double[rounds];
        double[] staging = new double[rounds];
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir.resolve("stack")))) {
            int port = DevStack.freePort();
            try (ServiceProcess ingest = ServiceProcess.start("ingest-service",
                    ServiceProcess.runJar(projectDir, "ingest-service"), stack.serviceConfig(), port,
                    dir.resolve("logs/ingest-service.log"), "512m");
                    RigClient client = new RigClient("127.0.0.1", port, "bench", null)) {
                ingest.awaitReady(Duration.ofMinutes(2));
                String[] target = {"--ingest-port", Integer.toString(port)};
                int captures = Math.max(1, frames / 50);
                for (int r = 0; r < rounds; r++) {
                    long seed = 1000L * r;
                    List<SimulatedCapture> inMemory = LabSession.render(seed + 1, captures, frames / captures);
                    long t = System.nanoTime();
                    for (SimulatedCapture capture : inMemory) {
                        client.upload(capture.unlabelledRigFrames(), 3, n -> { });
                    }
                    rig[r] = frames / seconds(t);

                    Path pngs = writeFolder(LabSession.render(seed + 2, captures, frames / captures), dir.resolve("f" + r));
                    folder[r] = frames / timed(() -> upload(pngs, target));

                    Path zipped = writeZip(LabSession.render(seed + 3, captures, frames / captures), dir.resolve("z" + r + ".zip"));
                    zip[r] = frames / timed(() -> upload(zipped, target));

                    Path mp4 = writeVideo(LabSession.render(seed + 4, 1, frames).get(0), dir.resolve("v" + r + ".mp4"));
                    ffmpeg[r] = frames / timed(() -> ffmpegDecode(mp4));
                    staging[r] = frames / timed(() -> {
                        try (var staged = tipstream.cli.CaptureFiles.stage(mp4, "staging" + r0(mp4),
                                tipstream.dataset.SafeZip.Limits.standard(),
                                tipstream.cli.VideoFrames.Settings.standard(false))) {
                            staged.frames();
                        }
                    });
                    video[r] = frames / timed(() -> upload(mp4, target));
                    System.out.printf(Locale.ROOT, "round %d: rig %.1f, folder %.1f, zip %.1f, video %.1f frames/s;"
                            + " video staging alone %.0f, ffmpeg decode alone %.0f frames/s%n", r + 1, rig[r], folder[r],
                            zip[r], video[r], staging[r], ffmpeg[r]);
                }
            }
        }
        double base = median(rig);
        System.out.printf(Locale.ROOT, "%nmedians of %d rounds of %d frames:%n", rounds, frames);
        System.out.printf(Locale.ROOT, "  rig gRPC stream (frames in memory)  %6.1f frames/s  1.00%n", base);
        System.out.printf(Locale.ROOT, "  tipstream upload FOLDER            %6.1f frames/s  %.2f x rig%n", median(folder), median(folder) / base);
        System.out.printf(Locale.ROOT, "  tipstream upload ZIP               %6.1f frames/s  %.2f x rig%n", median(zip), median(zip) / base);
        System.out.printf(Locale.ROOT, "  tipstream upload VIDEO (decode+up) %6.1f frames/s  %.3f x ffmpeg's decode alone (%.0f frames/s)%n",
                median(video), median(video) / median(ffmpeg), median(ffmpeg));
        System.out.printf(Locale.ROOT, "  of which staging (decode + gray PNG) %6.1f frames/s alone%n", median(staging));
        return 0;
    }

    private static String r0(Path file) {
        return file.getFileName().toString().replaceAll("[^A-Za-z0-9]", "");
    }

    private interface Work {
        void run() throws Exception;
    }

    private static double timed(Work work) throws Exception {
        long t = System.nanoTime();
        work.run();
        return seconds(t);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void upload(Path path, String[] target) {
        List<String> args = new ArrayList<>(List.of("upload", path.toString()));
        args.addAll(List.of(target));
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        int code;
        try {
            code = Tipstream.run(args.toArray(String[]::new));
        } finally {
            System.setOut(out);
        }
        if (code != 0) {
            throw new IllegalStateException("tipstream upload " + path + " exited " + code);
        }
    }

    private static void ffmpegDecode(Path video) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ffmpeg", "-v", "error", "-i", video.toString(), "-f", "null", "-")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("ffmpeg failed on " + video);
        }
    }

    private static Path writeFolder(List<SimulatedCapture> session, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (SimulatedCapture capture : session) {
            for (SimulatedFrame frame : capture.frames()) {
                Files.write(dir.resolve(frame.frameName()), PngFrameCodec.encode(frame.image()));
            }
        }
        return dir;
    }

    private static Path writeZip(List<SimulatedCapture> session, Path file) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (SimulatedCapture capture : session) {
                for (SimulatedFrame frame : capture.frames()) {
                    zip.putNextEntry(new ZipEntry(capture.captureId() + "/" + frame.frameName()));
                    zip.write(PngFrameCodec.encode(frame.image()));
                    zip.closeEntry();
                }
            }
        }
        return file;
    }

    /** An MPEG-4 Part 2 video at high quality: a common lab recording, decodable by any FFmpeg. */
    private static Path writeVideo(SimulatedCapture capture, Path file) throws Exception {
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 528, 406);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            recorder.setFormat("mp4");
            recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setVideoQuality(2);
            recorder.setFrameRate(25);
            recorder.start();
            for (SimulatedFrame frame : capture.frames()) {
                recorder.record(converter.convert(frame.image()));
            }
            recorder.stop();
        }
        return file;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
