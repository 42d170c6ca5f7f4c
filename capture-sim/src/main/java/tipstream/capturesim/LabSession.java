package tipstream.capturesim;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A simulated lab session: several captures, each along its own kind of arm trajectory (sweeps,
 * arcs, approach and retreat, roll), in its own look and, unless asked for one room, its own room,
 * deterministic for a seed: the same seed gives the same pixels, byte for byte.
 */
public final class LabSession {
    private static final SatelliteMockup ORIGINAL_LAB = new SatelliteMockup();

    /** Where a session's captures stand: each in a room of its own (the default), or all in the original lab. */
    public enum Rooms { VARIED, ORIGINAL }

    private LabSession() {
    }

    /**
     * Renders {@code captures} captures of {@code frames} frames each, on all cores: each capture
     * draws from its own seed, so the pixels do not depend on the order they are rendered in.
     */
    public static List<SimulatedCapture> render(long seed, int captures, int frames) {
        return render(seed, captures, frames, Rooms.VARIED);
    }

    /** {@link #render(long, int, int)} with the captures' rooms chosen. */
    public static List<SimulatedCapture> render(long seed, int captures, int frames, Rooms rooms) {
        return IntStream.range(0, captures).parallel().mapToObj(c -> capture(seed, c, frames, rooms)).toList();
    }

    /** Capture {@code index} of the session {@link #render} makes, alone: a session of any size can be streamed. */
    public static SimulatedCapture capture(long seed, int index, int frames) {
        return capture(seed, index, frames, Rooms.VARIED);
    }

    private static SimulatedCapture capture(long seed, int index, int frames, Rooms rooms) {
        ArmTrajectory.Kind kind = ArmTrajectory.Kind.values()[(int) Math.floorMod(seed + index, 5L)];
        return capture(seed * 1000 + index, kind, captureId(seed, index), frames, rooms);
    }

    /**
     * A capture's random, from its seed mixed first: {@code new Random(seed)} gives nearly the same
     * first draw for nearby seeds (java.util.Random scrambles the seed linearly), and captures' seeds
     * are consecutive, so every capture of a session started from almost the same viewpoint (the
     * trajectory's first draw is its azimuth: 9-15 degrees for all 480 captures of the main job's session).
     */
    static Random random(long seed) {
        return new Random(new SplittableRandom(seed).nextLong());
    }

    /** A capture id in the lab's style, e.g. 20261123-OG1_02_07. */
    static String captureId(long seed, int index) {
        return String.format("2026%02d%02d-OG%d_%02d_%02d", 1 + Math.floorMod(seed, 12), 1 + Math.floorMod(seed * 7, 28),
                1 + Math.floorMod(seed, 9), index, Math.floorMod(seed, 100));
    }

    public static SimulatedCapture capture(long seed, ArmTrajectory.Kind kind, String captureId, int frames) {
        return capture(seed, kind, captureId, frames, Rooms.VARIED);
    }

    private static SimulatedCapture capture(long seed, ArmTrajectory.Kind kind, String captureId, int frames,
            Rooms rooms) {
        Random random = random(seed);
        ArmTrajectory trajectory = ArmTrajectory.random(kind, random);
        SceneLook look = SceneLook.random(random);
        // drawn after the path and the look: in either room a capture keeps its camera path and look
        SatelliteMockup scene = rooms == Rooms.ORIGINAL ? ORIGINAL_LAB
                : new SatelliteMockup(SatelliteMockup.Room.random(random), random.nextLong());
        FrameRenderer renderer = new FrameRenderer(scene, look);
        List<SimulatedFrame> rendered = new ArrayList<>(frames);
        for (int i = 0; i < frames; i++) {
            PinholeCamera camera = trajectory.cameraAt(frames == 1 ? 0 : i / (double) (frames - 1));
            FrameRenderer.TipView tip = renderer.tipView(camera);
            BufferedImage image = renderer.render(camera, random);
            rendered.add(new SimulatedFrame(String.format("%s-camL%04d.png", captureId, i), image, tip.x(), tip.y(),
                    tip.inFrame(), tip.hidden()));
        }
        return new SimulatedCapture(captureId, kind, rendered);
    }
}
