package tipstream.capturesim;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.MultipleGradientPaint;
import java.awt.RadialGradientPaint;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.awt.image.ConvolveOp;
import java.awt.image.DataBufferByte;
import java.awt.image.Kernel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import tipstream.capturesim.SatelliteMockup.Face;
import tipstream.capturesim.SatelliteMockup.Knob;
import tipstream.capturesim.SatelliteMockup.Rod;
import tipstream.capturesim.SatelliteMockup.Texture;

/**
 * Renders the lab scene as the rig's grayscale camera sees it, in a capture's {@link SceneLook}:
 * painter's algorithm over near-clipped polygons, hard directional light, panel and foil texture,
 * then exposure, a lens blur, vignetting and seeded sensor noise. The tip is drawn last, and only
 * when nothing hides it, so what the image shows agrees with the visibility flag.
 */
public final class FrameRenderer {
    private static final Vec3 LAMP = new Vec3(-5.5, 5.2, -7.9);

    private final SatelliteMockup scene;
    private final SceneLook look;
    private final Vec3 light;
    private final double ambient;
    private final float[] vignette = new float[PinholeCamera.WIDTH * PinholeCamera.HEIGHT];
    private final ConvolveOp lensBlur;

    public FrameRenderer(SatelliteMockup scene) {
        this(scene, SceneLook.standard());
    }

    public FrameRenderer(SatelliteMockup scene, SceneLook look) {
        this.scene = scene;
        this.look = look;
        this.light = look.light();
        this.ambient = look.ambient();
        this.lensBlur = new ConvolveOp(gaussian(look.blurSigma()), ConvolveOp.EDGE_NO_OP, null);
        double cx = PinholeCamera.WIDTH / 2.0;
        double cy = PinholeCamera.HEIGHT / 2.0;
        double r2 = cx * cx + cy * cy;
        for (int y = 0; y < PinholeCamera.HEIGHT; y++) {
            for (int x = 0; x < PinholeCamera.WIDTH; x++) {
                double d2 = ((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy)) / r2;
                vignette[y * PinholeCamera.WIDTH + x] = (float) (look.exposure() * (1 - look.vignette() * d2));
            }
        }
    }

    /** Where the tip is for a camera, and whether the camera can see it. */
    public record TipView(double x, double y, boolean inFrame, boolean hidden) {
        public boolean visible() {
            return inFrame && !hidden;
        }
    }

    public TipView tipView(PinholeCamera camera) {
        Vec3 c = camera.toCamera(SatelliteMockup.TIP);
        if (c.z() <= PinholeCamera.NEAR) {
            return new TipView(-1, -1, false, false);
        }
        double px = camera.pixelX(c);
        double py = camera.pixelY(c);
        return new TipView(px, py, PinholeCamera.inFrame(c, px, py), scene.tipHiddenFrom(camera.position()));
    }

    /** A finished frame, noise drawn from {@code noise}. */
    public BufferedImage render(PinholeCamera camera, Random noise) {
        BufferedImage image = new BufferedImage(PinholeCamera.WIDTH, PinholeCamera.HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, PinholeCamera.WIDTH, PinholeCamera.HEIGHT);
        List<Drawable> background = new ArrayList<>();
        List<Drawable> items = new ArrayList<>();
        for (Face face : scene.faces()) {
            Drawable d = face(camera, face);
            if (d != null) {
                (face.texture() == Texture.BRICKS || (!face.satellite() && face.twoSided()) ? background : items).add(d);
            }
        }
        for (Rod rod : scene.rods()) {
            Drawable d = rod(camera, rod);
            if (d != null) {
                items.add(d);
            }
        }
        for (Knob knob : scene.decoys()) {
            Drawable d = knob(camera, knob);
            if (d != null) {
                items.add(d);
            }
        }
        background.sort(Comparator.comparingDouble(Drawable::depth).reversed());
        items.sort(Comparator.comparingDouble(Drawable::depth).reversed());
        background.forEach(d -> d.paint(g));
        lampGlare(g, camera);
        items.forEach(d -> d.paint(g));
        TipView tip = tipView(camera);
        if (tip.visible()) {
            Drawable d = knob(camera, scene.tip(), look.tipFinish());
            if (d != null) {
                d.paint(g);
            }
        }
        g.dispose();
        BufferedImage blurred = lensBlur.filter(image, null);
        sensor(blurred, noise);
        return blurred;
    }

    /**
     * Only the tip, as a bright disc of radius {@code radiusPx} on black, no blur or noise: lets a
     * test find the drawn tip's centroid and compare it with the projection.
     */
    public BufferedImage renderTipMarker(PinholeCamera camera, double radiusPx) {
        BufferedImage image = new BufferedImage(PinholeCamera.WIDTH, PinholeCamera.HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        TipView tip = tipView(camera);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        if (tip.inFrame()) {
            g.setColor(Color.WHITE);
            g.fill(new Ellipse2D.Double(tip.x() - radiusPx, tip.y() - radiusPx, 2 * radiusPx, 2 * radiusPx));
        }
        g.dispose();
        return image;
    }

    private interface Drawable {
        double depth();

        void paint(Graphics2D g);
    }

    private static int gray(double value) {
        return (int) Math.max(0, Math.min(255, Math.round(value)));
    }

    /** A normalised Gaussian kernel of {@code sigma} pixels (3 sigma each side). */
    private static Kernel gaussian(double sigma) {
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        int size = 2 * radius + 1;
        float[] weights = new float[size * size];
        double sum = 0;
        for (int j = 0; j < size; j++) {
            for (int i = 0; i < size; i++) {
                double d2 = (i - radius) * (i - radius) + (j - radius) * (j - radius);
                weights[j * size + i] = (float) Math.exp(-d2 / (2 * sigma * sigma));
                sum += weights[j * size + i];
            }
        }
        for (int k = 0; k < weights.length; k++) {
            weights[k] /= sum;
        }
        return new Kernel(size, size, weights);
    }

    private double shade(Vec3 normal, double albedo, boolean satellite) {
        double diffuse = look.lightStrength() * Math.max(0, normal.dot(light));
        double lit = satellite ? look.satelliteFinish() * (ambient + 1.05 * diffuse)
                : look.roomFinish() * 0.55 * (ambient + 0.8 * diffuse);
        return 255 * albedo * lit;
    }

    private Drawable face(PinholeCamera camera, Face face) {
        Vec3 normal = face.normal();
        Vec3 toEye = camera.position().minus(face.centre());
        if (normal.dot(toEye) < 0) {
            if (!face.twoSided()) {
                return null; // back face of a closed box
            }
            normal = normal.times(-1);
        }
        List<Vec3> clipped = clipNear(camera, face.corners());
        if (clipped.size() < 3) {
            return null;
        }
        Path2D.Double outline = outline(camera, clipped);
        double depth = clipped.stream().mapToDouble(Vec3::z).sum();
        double base = shade(normal, face.albedo(), face.satellite());
        double meanDepth = depth / clipped.size();
        Vec3 n = normal;
        return new Drawable() {
            @Override
            public double depth() {
                return meanDepth;
            }

            @Override
            public void paint(Graphics2D g) {
                g.setColor(new Color(gray(base), gray(base), gray(base)));
                g.fill(outline);
                texture(g, camera, face, n, base);
            }
        };
    }

    private void texture(Graphics2D g, PinholeCamera camera, Face face, Vec3 normal, double base) {
        Vec3[] c = face.corners();
        switch (face.texture()) {
            case FOIL -> {
                // crinkled multi-layer insulation: sub-panels with their own shade, then seams
                Random foil = new Random(Double.doubleToLongBits(c[0].x() * 31 + c[0].y() * 17 + c[2].z()));
                int n = 5;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        Vec3[] cell = {bilerp(c, i / (double) n, j / (double) n), bilerp(c, (i + 1) / (double) n, j / (double) n),
                            bilerp(c, (i + 1) / (double) n, (j + 1) / (double) n), bilerp(c, i / (double) n, (j + 1) / (double) n)};
                        Vec3 tilted = normal.plus(new Vec3(foil.nextGaussian(), foil.nextGaussian(), foil.nextGaussian())
                                .times(0.25)).normalized();
                        double v = shade(tilted, face.albedo(), true);
                        fillPolygon(g, camera, cell, v);
                    }
                }
                gridLines(g, camera, c, 3, 3, base * 0.55, 1.2f);
            }
            case PANEL_SEAMS -> {
                gridLines(g, camera, c, 3, 2, base * 0.6, 1.0f);
                rivets(g, camera, c, base * 1.25);
            }
            case SOLAR_CELLS -> gridLines(g, camera, c, 10, 4, Math.min(255, base * 2.2 + 25), 0.8f);
            case BRICKS -> gridLines(g, camera, c, 1, 14, base * 0.75, 1.0f);
            default -> { }
        }
    }

    private static Vec3 bilerp(Vec3[] c, double u, double v) {
        Vec3 bottom = c[0].plus(c[1].minus(c[0]).times(u));
        Vec3 top = c[3].plus(c[2].minus(c[3]).times(u));
        return bottom.plus(top.minus(bottom).times(v));
    }

    private void fillPolygon(Graphics2D g, PinholeCamera camera, Vec3[] corners, double value) {
        List<Vec3> clipped = clipNear(camera, corners);
        if (clipped.size() < 3) {
            return;
        }
        g.setColor(new Color(gray(value), gray(value), gray(value)));
        g.fill(outline(camera, clipped));
    }

    /** The projected outline of a near-clipped polygon (camera-space corners). */
    private static Path2D.Double outline(PinholeCamera camera, List<Vec3> clipped) {
        Path2D.Double path = new Path2D.Double();
        for (int i = 0; i < clipped.size(); i++) {
            Vec3 c = clipped.get(i);
            if (i == 0) {
                path.moveTo(camera.pixelX(c), camera.pixelY(c));
            } else {
                path.lineTo(camera.pixelX(c), camera.pixelY(c));
            }
        }
        path.closePath();
        return path;
    }

    private void gridLines(Graphics2D g, PinholeCamera camera, Vec3[] c, int alongU, int alongV, double value,
            float width) {
        g.setColor(new Color(gray(value), gray(value), gray(value)));
        g.setStroke(new BasicStroke(width));
        for (int i = 1; i < alongU; i++) {
            line(g, camera, bilerp(c, i / (double) alongU, 0), bilerp(c, i / (double) alongU, 1));
        }
        for (int j = 1; j < alongV; j++) {
            line(g, camera, bilerp(c, 0, j / (double) alongV), bilerp(c, 1, j / (double) alongV));
        }
    }

    private void rivets(Graphics2D g, PinholeCamera camera, Vec3[] c, double value) {
        g.setColor(new Color(gray(value), gray(value), gray(value)));
        for (double u = 0.08; u < 1; u += 0.28) {
            for (double v : new double[] {0.06, 0.94}) {
                Vec3 p = camera.toCamera(bilerp(c, u, v));
                if (p.z() > PinholeCamera.NEAR) {
                    double r = Math.max(0.4, camera.focalPx() * 0.008 / p.z());
                    g.fill(new Ellipse2D.Double(camera.pixelX(p) - r, camera.pixelY(p) - r, 2 * r, 2 * r));
                }
            }
        }
    }

    private static void line(Graphics2D g, PinholeCamera camera, Vec3 a, Vec3 b) {
        Vec3 ca = camera.toCamera(a);
        Vec3 cb = camera.toCamera(b);
        if (ca.z() <= PinholeCamera.NEAR && cb.z() <= PinholeCamera.NEAR) {
            return;
        }
        if (ca.z() <= PinholeCamera.NEAR || cb.z() <= PinholeCamera.NEAR) {
            Vec3 front = ca.z() > cb.z() ? ca : cb;
            Vec3 back = ca.z() > cb.z() ? cb : ca;
            double t = (front.z() - PinholeCamera.NEAR) / (front.z() - back.z());
            Vec3 cut = front.plus(back.minus(front).times(t));
            ca = front;
            cb = cut;
        }
        g.draw(new Line2D.Double(camera.pixelX(ca), camera.pixelY(ca), camera.pixelX(cb), camera.pixelY(cb)));
    }

    private Drawable rod(PinholeCamera camera, Rod rod) {
        Vec3 a = camera.toCamera(rod.from());
        Vec3 b = camera.toCamera(rod.to());
        if (a.z() <= PinholeCamera.NEAR && b.z() <= PinholeCamera.NEAR) {
            return null;
        }
        double depth = (Math.max(a.z(), PinholeCamera.NEAR) + Math.max(b.z(), PinholeCamera.NEAR)) / 2;
        float width = (float) Math.max(0.8, 2 * camera.focalPx() * rod.radius() / depth);
        Vec3 axis = rod.to().minus(rod.from()).normalized();
        // a cylinder is lit by the light's component across its axis
        Vec3 across = light.minus(axis.times(light.dot(axis)));
        double value = 255 * rod.albedo() * look.satelliteFinish()
                * (ambient + look.lightStrength() * 0.9 * across.length() * 0.8);
        return new Drawable() {
            @Override
            public double depth() {
                return depth;
            }

            @Override
            public void paint(Graphics2D g) {
                g.setColor(new Color(gray(value), gray(value), gray(value)));
                g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                line(g, camera, rod.from(), rod.to());
            }
        };
    }

    private Drawable knob(PinholeCamera camera, Knob knob) {
        return knob(camera, knob, look.satelliteFinish());
    }

    private Drawable knob(PinholeCamera camera, Knob knob, double finish) {
        Vec3 c = camera.toCamera(knob.centre());
        if (c.z() <= PinholeCamera.NEAR) {
            return null;
        }
        double r = Math.max(1.0, camera.focalPx() * knob.radius() / c.z());
        double px = camera.pixelX(c);
        double py = camera.pixelY(c);
        int lit = gray(255 * knob.albedo() * finish * (ambient + look.lightStrength()));
        int dark = gray(255 * knob.albedo() * finish * ambient * 1.5);
        // the highlight sits towards the light, as on a real sphere
        Vec3 lightInCamera = camera.toCamera(camera.position().plus(light)).normalized();
        float hx = (float) (px + 0.45 * r * lightInCamera.x());
        float hy = (float) (py - 0.45 * r * lightInCamera.y());
        return new Drawable() {
            @Override
            public double depth() {
                return c.z();
            }

            @Override
            public void paint(Graphics2D g) {
                g.setPaint(new RadialGradientPaint(new Point2D.Float(hx, hy), (float) (1.4 * r), new float[] {0f, 1f},
                        new Color[] {new Color(lit, lit, lit), new Color(dark, dark, dark)},
                        MultipleGradientPaint.CycleMethod.NO_CYCLE));
                g.fill(new Ellipse2D.Double(px - r, py - r, 2 * r, 2 * r));
            }
        };
    }

    private void lampGlare(Graphics2D g, PinholeCamera camera) {
        Vec3 c = camera.toCamera(LAMP);
        if (!look.lampGlare() || c.z() <= PinholeCamera.NEAR) {
            return;
        }
        float px = (float) camera.pixelX(c);
        float py = (float) camera.pixelY(c);
        float r = (float) (camera.focalPx() * 1.6 / c.z());
        g.setPaint(new RadialGradientPaint(new Point2D.Float(px, py), r, new float[] {0f, 0.15f, 1f},
                new Color[] {new Color(255, 255, 255, 255), new Color(235, 235, 235, 200), new Color(200, 200, 200, 0)}));
        g.fill(new Ellipse2D.Double(px - r, py - r, 2 * r, 2 * r));
    }

    /** Sutherland-Hodgman against the near plane, in camera space. */
    private static List<Vec3> clipNear(PinholeCamera camera, Vec3[] corners) {
        List<Vec3> out = new ArrayList<>(corners.length + 2);
        Vec3 prev = camera.toCamera(corners[corners.length - 1]);
        for (Vec3 corner : corners) {
            Vec3 cur = camera.toCamera(corner);
            boolean curIn = cur.z() > PinholeCamera.NEAR;
            boolean prevIn = prev.z() > PinholeCamera.NEAR;
            if (curIn != prevIn) {
                double t = (PinholeCamera.NEAR - prev.z()) / (cur.z() - prev.z());
                Vec3 cut = prev.plus(cur.minus(prev).times(t));
                out.add(new Vec3(cut.x(), cut.y(), PinholeCamera.NEAR + 1e-9));
            }
            if (curIn) {
                out.add(cur);
            }
            prev = cur;
        }
        return out;
    }

    /** Exposure, vignetting and Gaussian read noise, in place. */
    private void sensor(BufferedImage image, Random noise) {
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < pixels.length; i++) {
            double v = (pixels[i] & 0xff) * vignette[i] + 6 + look.noiseSigma() * noise.nextGaussian();
            pixels[i] = (byte) gray(v);
        }
    }
}
