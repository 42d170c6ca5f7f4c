package tipstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.capturesim.LabSession;
import tipstream.capturesim.SimulatedCapture;
import tipstream.capturesim.SimulatedFrame;
import tipstream.cli.Tipstream;
import tipstream.dataset.PngFrameCodec;
import tipstream.devstack.DevStack;
import tipstream.devstack.PipelineServices;

/**
 * The {@code tipstream} command against the built ingest and eval services on the embedded stack,
 * as a lab would use it: status, a folder of frames, their CVAT export, a hostile archive.
 */
class TipstreamCommandTest {
    private static final Path PROJECT = Path.of(System.getProperty("tipstream.project.root", ".."));

    /** The command's exit code and what it printed. */
    record Ran(int code, String out) {
    }

    private static Ran tipstream(String... args) {
        PrintStream before = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            return new Ran(Tipstream.run(args), out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(before);
        }
    }

    @Test
    void aLabsFolderAndItsCvatExportGoInAndAHostileArchiveIsRefused(@TempDir Path dir) throws Exception {
        int ingestPort = DevStack.freePort();
        int evalPort = DevStack.freePort();
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir.resolve("stack")));
                PipelineServices services = PipelineServices.start(stack, PROJECT, dir.resolve("logs"), List.of(
                        new PipelineServices.Service("ingest-service", ingestPort, "512m", Map.of()),
                        new PipelineServices.Service("eval-service", evalPort, "1g", Map.of())),
                        Duration.ofMinutes(3))) {
            String[] target = {"--ingest-port", Integer.toString(ingestPort), "--eval-port", Integer.toString(evalPort)};
            Ran status = tipstream(concat(new String[] {"status"}, target));
            assertThat(status.code()).as(status.out()).isZero();
            assertThat(status.out()).contains("ingest").contains("SERVING");

            SimulatedCapture capture = LabSession.render(5, 1, 6).get(0);
            Path export = capture.writeTo(dir.resolve("captures")); // PNGs, CVAT XML, truth CSV
            Path folder = export.getParent();
            Ran upload = tipstream(concat(new String[] {"upload", folder.toString()}, target));
            assertThat(upload.code()).as(upload.out()).isZero();
            assertThat(upload.out()).contains("6 frames of 1 capture(s): 6 new, 0 already stored, 0 rejected")
                    .contains("skipped (not PNG): 2 file(s)"); // the CVAT XML and the truth CSV beside them
            Ran again = tipstream(concat(new String[] {"upload", folder.toString()}, target));
            assertThat(again.out()).contains("0 new, 6 already stored");

            Ran imported = tipstream(concat(new String[] {"import-cvat", export.toString()}, target));
            assertThat(imported.code()).as(imported.out()).isZero();
            long visible = capture.frames().stream().filter(SimulatedFrame::visible).count();
            assertThat(imported.out()).contains("CVAT for images, tip label 'tip', 6 frames covered: " + visible
                    + " tip labels, " + (6 - visible) + " no-tip labels");

            Path slip = dir.resolve("slip.zip");
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(slip))) {
                zip.putNextEntry(new ZipEntry("ok/x1-camL0000.png"));
                zip.write(PngFrameCodec.encode(capture.frames().get(0).image()));
                zip.putNextEntry(new ZipEntry("../../x1-camL0001.png"));
                zip.write(PngFrameCodec.encode(capture.frames().get(1).image()));
            }
            Ran refused = tipstream(concat(new String[] {"upload", slip.toString()}, target));
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.out()).contains("refused, nothing sent").contains("zip slip");
            Ran after = tipstream(concat(new String[] {"upload", folder.toString()}, target));
            assertThat(after.out()).as("the service kept serving")
                    .contains("6 already stored");

            Ran runs = tipstream(concat(new String[] {"runs"}, target));
            assertThat(runs.code()).isZero();
            assertThat(runs.out()).contains("no runs yet");
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
