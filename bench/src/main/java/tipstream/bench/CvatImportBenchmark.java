package tipstream.bench;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.capturesim.RigClient;
import tipstream.capturesim.RigClient.RigFrame;
import tipstream.dataset.FrameName;
import tipstream.dataset.PngFrameCodec;
import tipstream.devstack.DevStack;
import tipstream.devstack.ProcessMemory;
import tipstream.devstack.ServiceProcess;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;

/**
 * A CVAT export of the seed's size (14,424 frames) imported into ingest-service on the embedded
 * stack, in both CVAT formats: time per import, and ingest's peak resident memory (its heap is
 * 512 MB, as under ./run.sh). The frames are uploaded first (small distinct PNGs: the import
 * checks each frame exists, its size is what the export says). Images: one export listing every
 * frame, a box on four in five. Video: one export per capture, a track keyframed every 10 frames.
 * Each import runs twice: new labels, then the same export again (nothing changes).
 */
@Command(name = "CvatImportBenchmark", mixinStandardHelpOptions = true)
public final class CvatImportBenchmark implements Callable<Integer> {
    @Option(names = "--frames", defaultValue = "14424")
    int frames;

    @Option(names = "--captures", defaultValue = "12")
    int captures;

    @Option(names = "--project-dir", defaultValue = ".")
    Path projectDir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CvatImportBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("tipstream-cvat-bench-");
        int perCapture = (frames + captures - 1) / captures;
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            int port = DevStack.freePort();
            try (ServiceProcess ingest = ServiceProcess.start("ingest-service",
                    ServiceProcess.runJar(projectDir, "ingest-service"), stack.serviceConfig(), port,
                    dir.resolve("logs/ingest-service.log"), "512m");
                    RigClient rig = new RigClient("127.0.0.1", port, "bench", null)) {
                ingest.awaitReady(Duration.ofMinutes(2));
                long t0 = System.nanoTime();
                List<String> names = new ArrayList<>();
                for (int c = 0; c < captures; c++) {
                    String capture = String.format(Locale.ROOT, "20180727-OG3_%02d_45", c);
                    List<RigFrame> batch = new ArrayList<>();
                    for (int i = 0; i < perCapture && names.size() < frames; i++) {
                        String name = FrameName.of(capture, i);
                        names.add(name);
                        batch.add(RigFrame.unlabelled(capture, name, png(c * 100_000 + i)));
                        if (batch.size() == 500) {
                            rig.upload(batch, 3, n -> { });
                            batch.clear();
                        }
                    }
                    if (!batch.isEmpty()) {
                        rig.upload(batch, 3, n -> { });
                    }
                }
                System.out.printf(Locale.ROOT, "uploaded %d frames of %d captures in %.1f s; ingest RSS %d MB%n",
                        names.size(), captures, (System.nanoTime() - t0) / 1e9,
                        ProcessMemory.residentBytes(ingest.jvm().pid()) >> 20);
                var stub = IngestGrpc.newBlockingStub(rig.channel());

                byte[] images = imagesExport(names);
                for (String round : List.of("new labels", "the same again")) {
                    long t = System.nanoTime();
                    ImportSummary summary = stub.importCvat(CvatImport.newBuilder().setXml(ByteString.copyFrom(images))
                            .setSourceName("seed-size.xml").build());
                    report("images, " + round, images.length, t, summary, ingest);
                }
                for (String round : List.of("new labels", "the same again")) {
                    long t = System.nanoTime();
                    ImportSummary.Builder total = ImportSummary.newBuilder();
                    long bytes = 0;
                    for (int c = 0; c < captures; c++) {
                        String capture = String.format(Locale.ROOT, "20180727-OG3_%02d_45", c);
                        int count = (int) names.stream().filter(n -> n.startsWith(capture + "-")).count();
                        byte[] video = videoExport(capture, count);
                        bytes += video.length;
                        ImportSummary summary = stub.importCvat(CvatImport.newBuilder()
                                .setXml(ByteString.copyFrom(video)).setSourceName(capture + ".xml").build());
                        total.setLabelsPublished(total.getLabelsPublished() + summary.getLabelsPublished())
                                .setNoTipLabels(total.getNoTipLabels() + summary.getNoTipLabels())
                                .setRejected(total.getRejected() + summary.getRejected())
                                .setFramesCovered(total.getFramesCovered() + summary.getFramesCovered());
                    }
                    report("video (" + captures + " exports), " + round, bytes, t, total.build(), ingest);
                }
            }
        }
        return 0;
    }

    private static void report(String what, long bytes, long t0, ImportSummary summary, ServiceProcess ingest) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%-40s %6.1f MB XML  %6.1f s  %6.0f frames/s  covered %d: %d tip, %d no-tip,"
                + " %d rejected; ingest RSS %d MB (peak %d MB)%n", what, bytes / 1e6, seconds,
                summary.getFramesCovered() / seconds, summary.getFramesCovered(), summary.getLabelsPublished(),
                summary.getNoTipLabels(), summary.getRejected(), ProcessMemory.residentBytes(ingest.jvm().pid()) >> 20,
                ProcessMemory.peakResidentBytes(ingest.jvm().pid()) >> 20);
    }

    /** A small PNG of its own: a flat frame with the seed written into a few pixels. */
    private static byte[] png(long seed) {
        BufferedImage image = new BufferedImage(528, 406, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < 8; i++) {
            pixels[i] = (byte) (seed >> (8 * i));
        }
        return PngFrameCodec.encode(image);
    }

    private static byte[] imagesExport(List<String> names) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n"
                + "<version>1.1</version><meta><task><name>seed</name></task></meta>\n");
        for (int i = 0; i < names.size(); i++) {
            xml.append("<image id=\"").append(i).append("\" name=\"").append(names.get(i))
                    .append("\" width=\"528\" height=\"406\">");
            if (i % 5 != 0) {
                double x = 40 + (i * 7) % 440;
                double y = 40 + (i * 13) % 320;
                xml.append(String.format(Locale.ROOT, "<box label=\"tip\" occluded=\"0\" source=\"manual\" xtl=\"%.2f\""
                        + " ytl=\"%.2f\" xbr=\"%.2f\" ybr=\"%.2f\" z_order=\"0\"></box>", x - 8, y - 8, x + 8, y + 8));
            }
            xml.append("</image>\n");
        }
        return xml.append("</annotations>\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] videoExport(String capture, int count) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n"
                + "<version>1.1</version><meta><task><size>" + count + "</size><start_frame>0</start_frame>"
                + "<stop_frame>" + (count - 1) + "</stop_frame><original_size><width>528</width><height>406</height>"
                + "</original_size></task><source>" + capture + ".mp4</source></meta>\n<track id=\"0\" label=\"tip\">\n");
        for (int f = 0; f < count; f += 10) {
            boolean outside = (f / 10) % 7 == 6;
            double x = 40 + (f * 7) % 440;
            double y = 40 + (f * 13) % 320;
            xml.append(String.format(Locale.ROOT, "<box frame=\"%d\" keyframe=\"1\" outside=\"%d\" occluded=\"0\""
                    + " xtl=\"%.2f\" ytl=\"%.2f\" xbr=\"%.2f\" ybr=\"%.2f\" z_order=\"0\"></box>%n", f, outside ? 1 : 0,
                    x - 8, y - 8, x + 8, y + 8));
        }
        return xml.append("</track>\n</annotations>\n").toString().getBytes(StandardCharsets.UTF_8);
    }
}
