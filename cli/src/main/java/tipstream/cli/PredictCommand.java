package tipstream.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tipstream.v1.PredictGrpc;
import tipstream.v1.PredictRequest;
import tipstream.v1.PredictResponse;

/** The tip the best model finds in each image, and how sure it is. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Find the tip in 528 x 406 grayscale PNGs with the best evaluated checkpoint.")
public final class PredictCommand implements Callable<Integer> {
    @Mixin
    Target target;

    @Parameters(arity = "1..*", paramLabel = "IMAGE")
    List<Path> images;

    @Option(names = "--draw", description = "write each image with the tip drawn: a file for one image, a folder for several")
    Path draw;

    @Override
    public Integer call() throws Exception {
        ManagedChannel channel = target.eval();
        try {
            var predict = PredictGrpc.newBlockingStub(channel).withCallCredentials(target.credentials());
            for (Path image : images) {
                byte[] png = Files.readAllBytes(image);
                PredictResponse answer = predict.predictTip(PredictRequest.newBuilder().setPng(ByteString.copyFrom(png))
                        .build());
                if (answer.getTipPresent()) {
                    System.out.printf(Locale.ROOT, "%s: tip at (%.1f, %.1f), confidence %.3f (threshold %.3f; %s step %d)%n",
                            image, answer.getTip().getX(), answer.getTip().getY(), answer.getConfidence(),
                            answer.getPresenceThreshold(), answer.getRunId(), answer.getCheckpointStep());
                } else {
                    System.out.printf(Locale.ROOT, "%s: no tip, confidence %.3f (threshold %.3f; %s step %d)%n", image,
                            answer.getConfidence(), answer.getPresenceThreshold(), answer.getRunId(),
                            answer.getCheckpointStep());
                }
                if (draw != null) {
                    Path out = images.size() == 1 ? draw : draw.resolve(image.getFileName());
                    if (out.getParent() != null) {
                        Files.createDirectories(out.getParent());
                    }
                    ImageIO.write(drawn(png, answer), "png", out.toFile());
                }
            }
            return 0;
        } finally {
            channel.shutdownNow();
        }
    }

    /** The image in colour with a circle at the tip (green) or the confidence written (no tip). */
    private static BufferedImage drawn(byte[] png, PredictResponse answer) throws java.io.IOException {
        BufferedImage frame = ImageIO.read(new ByteArrayInputStream(png));
        BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(frame, 0, 0, null);
        g.setStroke(new BasicStroke(2));
        g.setColor(answer.getTipPresent() ? Color.GREEN : Color.ORANGE);
        if (answer.getTipPresent()) {
            int x = (int) Math.round(answer.getTip().getX());
            int y = (int) Math.round(answer.getTip().getY());
            g.drawOval(x - 8, y - 8, 16, 16);
        }
        g.drawString(String.format(Locale.ROOT, "%s %.2f", answer.getTipPresent() ? "tip" : "no tip",
                answer.getConfidence()), 6, 16);
        g.dispose();
        return out;
    }
}
