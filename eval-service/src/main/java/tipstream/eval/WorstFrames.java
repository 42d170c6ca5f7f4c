package tipstream.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.imageio.ImageIO;
import tipstream.model.TipMetrics;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;

/**
 * A contact sheet of an evaluation's worst frames, to see what the model gets wrong: each frame
 * with the true tip (green circle) and the predicted one (red cross, drawn only when the model
 * says a tip is there), and a caption line. Worst first: a wrong presence decision, then the
 * largest distance.
 */
public final class WorstFrames {
    private WorstFrames() {
    }

    /** How wrong a frame is: presence wrong scores above any distance; right frames score their distance. */
    static double badness(DatasetSample sample, TipPrediction prediction, double threshold) {
        boolean said = prediction.tipPresent(threshold);
        if (said != sample.getVisible()) {
            return 1e6 + Math.abs(prediction.presence() - threshold);
        }
        return said ? Math.hypot(prediction.x() - sample.getTip().getX(), prediction.y() - sample.getTip().getY()) : 0;
    }

    /**
     * The {@code count} worst frames that are wrong (presence, or more than 10 px off), tiled
     * {@code columns} wide at the samples' size; empty when every frame is right.
     */
    public static java.util.Optional<BufferedImage> sheet(CheckpointEvaluator.Scored scored, double threshold,
            double frameWidth, int count, int columns) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < scored.samples().size(); i++) {
            if (badness(scored.samples().get(i), scored.predictions().get(i), threshold) > TipMetrics.POINT_TOLERANCE_PX) {
                order.add(i);
            }
        }
        if (order.isEmpty()) {
            return java.util.Optional.empty();
        }
        order.sort(Comparator.comparingDouble((Integer i) -> badness(scored.samples().get(i),
                scored.predictions().get(i), threshold)).reversed());
        order = order.subList(0, Math.min(count, order.size()));
        BufferedImage first = CheckpointEvaluator.decode(scored.samples().get(order.get(0)));
        int w = first.getWidth();
        int h = first.getHeight();
        int caption = 14;
        int rows = (order.size() + columns - 1) / columns;
        BufferedImage sheet = new BufferedImage(w * Math.min(columns, order.size()), (h + caption) * rows,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        double scale = w / frameWidth;
        for (int k = 0; k < order.size(); k++) {
            DatasetSample s = scored.samples().get(order.get(k));
            TipPrediction p = scored.predictions().get(order.get(k));
            int ox = (k % columns) * w;
            int oy = (k / columns) * (h + caption);
            g.drawImage(CheckpointEvaluator.decode(s), ox, oy, null);
            g.setStroke(new BasicStroke(1.5f));
            if (s.getVisible()) {
                g.setColor(Color.GREEN);
                double r = 6;
                g.draw(new Ellipse2D.Double(ox + s.getTip().getX() * scale - r, oy + s.getTip().getY() * scale - r, 2 * r,
                        2 * r));
            }
            if (p.tipPresent(threshold)) {
                g.setColor(Color.RED);
                double x = ox + p.x() * scale;
                double y = oy + p.y() * scale;
                g.draw(new Line2D.Double(x - 5, y - 5, x + 5, y + 5));
                g.draw(new Line2D.Double(x - 5, y + 5, x + 5, y - 5));
            }
            g.setColor(Color.WHITE);
            g.drawString(String.format(java.util.Locale.ROOT, "%s p=%.2f", shortName(s.getFrameName()), p.presence()),
                    ox + 2, oy + h + caption - 3);
        }
        g.dispose();
        return java.util.Optional.of(sheet);
    }

    private static String shortName(String frameName) {
        return frameName.length() > 28 ? frameName.substring(frameName.length() - 28) : frameName;
    }
}
