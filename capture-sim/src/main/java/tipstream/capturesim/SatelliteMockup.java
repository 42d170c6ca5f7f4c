package tipstream.capturesim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The 3-D lab scene: a satellite mock-up (a box body with panel texture, two solar wings on short
 * arms, a boom that ends in the tip, and decoy knobs and antennas that look like it) in a cluttered
 * lab room (walls, floor, shelves, crates, a truss). Units are metres; the body's centre is the
 * origin, y points up, the boom sticks out towards +z.
 */
public final class SatelliteMockup {
    /** How a face is painted over its base shade. */
    public enum Texture { PLAIN, PANEL_SEAMS, SOLAR_CELLS, FOIL, BRICKS }

    /** A flat convex polygon (corners in order) with a base albedo (0..1). */
    public record Face(Vec3[] corners, double albedo, Texture texture, boolean satellite, boolean twoSided) {
        public Vec3 normal() {
            return corners[1].minus(corners[0]).cross(corners[2].minus(corners[0])).normalized();
        }

        public Vec3 centre() {
            Vec3 sum = new Vec3(0, 0, 0);
            for (Vec3 c : corners) {
                sum = sum.plus(c);
            }
            return sum.times(1.0 / corners.length);
        }
    }

    /** A thin rod (boom, antenna, truss member). */
    public record Rod(Vec3 from, Vec3 to, double radius, double albedo) {
    }

    /** A small sphere: the tip, or a decoy that looks like it. */
    public record Knob(Vec3 centre, double radius, double albedo) {
    }

    public static final Vec3 BODY_MIN = new Vec3(-0.6, -0.5, -0.5);
    public static final Vec3 BODY_MAX = new Vec3(0.6, 0.5, 0.5);
    public static final Vec3 TIP = new Vec3(0.42, 0.38, 1.35);
    public static final double TIP_RADIUS = 0.045;

    private final List<Face> faces = new ArrayList<>();
    private final List<Rod> rods = new ArrayList<>();
    private final List<Knob> decoys = new ArrayList<>();
    private final List<Face> wingFaces = new ArrayList<>();

    /**
     * How the lab around the mock-up is laid out: its size, the walls' and floor's albedo and
     * texture, how much clutter stands along the walls, shelves, the gantry truss, hanging cables,
     * and bright knobs (bolts, handles, lamps) on the clutter that look like the tip from afar.
     */
    public record Room(double halfWidth, double back, double front, double floorAlbedo, double[] wallAlbedos,
            boolean brickWalls, int clutter, int shelves, boolean truss, int cables, int brightKnobs) {
        /** The one lab every capture stood in before rooms varied. */
        public static Room original() {
            return new Room(9, -8, 9, 0.30, new double[] {0.42, 0.40, 0.36, 0.36}, true, 14, 4, true, 5, 0);
        }

        /** A lab of its own: the real lab and other renderers will not look like {@link #original()}. */
        public static Room random(Random random) {
            double[] walls = new double[4];
            for (int i = 0; i < walls.length; i++) {
                walls[i] = 0.12 + 0.55 * random.nextDouble();
            }
            // the arm's camera comes up to 7 m in front of the mock-up and 6 m to its side (ArmTrajectory)
            return new Room(7 + 4 * random.nextDouble(), -(6 + 4 * random.nextDouble()), 8.5 + 3 * random.nextDouble(),
                    0.1 + 0.45 * random.nextDouble(), walls, random.nextBoolean(), 4 + random.nextInt(20),
                    random.nextInt(5), random.nextDouble() < 0.7, random.nextInt(9), random.nextInt(6));
        }
    }

    /** The original lab ({@link Room#original()}). */
    public SatelliteMockup() {
        this(Room.original(), 20180727L);
    }

    /** The mock-up in {@code room}, its clutter placed by {@code layoutSeed}; only the camera moves (as on the real rig). */
    public SatelliteMockup(Room room, long layoutSeed) {
        Random layout = new Random(layoutSeed);
        buildRoom(room, layout);
        addBox(BODY_MIN, BODY_MAX, 0.78, Texture.FOIL, true);
        for (int side = -1; side <= 1; side += 2) {
            addBox(new Vec3(side > 0 ? 0.6 : -0.95, -0.04, -0.04), new Vec3(side > 0 ? 0.95 : -0.6, 0.04, 0.04), 0.6,
                    Texture.PLAIN, true);
            double inner = 0.95 * side;
            double outer = 2.75 * side;
            Face wing = new Face(new Vec3[] {new Vec3(inner, -0.42, 0), new Vec3(outer, -0.42, 0),
                new Vec3(outer, 0.42, 0), new Vec3(inner, 0.42, 0)}, 0.32, Texture.SOLAR_CELLS, true, true);
            faces.add(wing);
            wingFaces.add(wing);
            decoys.add(new Knob(new Vec3(outer, 0.42, 0), 0.035, 0.9));
        }
        // the boom: from the body's front-top edge out to the tip
        rods.add(new Rod(new Vec3(0.25, 0.3, 0.5), TIP, 0.018, 0.85));
        // decoys: short antennas with knobs, and a sensor stub on the front face
        Vec3 antenna = new Vec3(-0.38, 0.82, 0.62);
        rods.add(new Rod(new Vec3(-0.3, 0.5, 0.3), antenna, 0.014, 0.8));
        decoys.add(new Knob(antenna, 0.04, 0.92));
        Vec3 stub = new Vec3(-0.2, -0.22, 0.78);
        rods.add(new Rod(new Vec3(-0.2, -0.22, 0.5), stub, 0.03, 0.55));
        decoys.add(new Knob(stub, 0.05, 0.85));
        Vec3 whip = new Vec3(0.5, -0.95, 0.2);
        rods.add(new Rod(new Vec3(0.45, -0.5, 0.2), whip, 0.012, 0.8));
        decoys.add(new Knob(whip, 0.035, 0.9));
    }

    private void buildRoom(Room room, Random layout) {
        double x0 = -room.halfWidth();
        double x1 = room.halfWidth();
        double y0 = -2.2;
        double y1 = 6;
        double z0 = room.back();
        double z1 = room.front();
        double[] walls = room.wallAlbedos();
        Texture brick = room.brickWalls() ? Texture.BRICKS : Texture.PLAIN;
        // inside faces of the room: floor, ceiling-less walls
        faces.add(quad(new Vec3(x0, y0, z0), new Vec3(x1, y0, z0), new Vec3(x1, y0, z1), new Vec3(x0, y0, z1),
                room.floorAlbedo(), Texture.PLAIN));
        faces.add(quad(new Vec3(x0, y0, z0), new Vec3(x0, y1, z0), new Vec3(x1, y1, z0), new Vec3(x1, y0, z0), walls[0],
                brick));
        faces.add(quad(new Vec3(x0, y0, z1), new Vec3(x1, y0, z1), new Vec3(x1, y1, z1), new Vec3(x0, y1, z1), walls[1],
                brick));
        faces.add(quad(new Vec3(x0, y0, z0), new Vec3(x0, y0, z1), new Vec3(x0, y1, z1), new Vec3(x0, y1, z0), walls[2],
                Texture.PLAIN));
        faces.add(quad(new Vec3(x1, y0, z0), new Vec3(x1, y1, z0), new Vec3(x1, y1, z1), new Vec3(x1, y0, z1), walls[3],
                Texture.PLAIN));
        // clutter along the walls: boxes and crates on the floor
        double along0 = x0 + 1;
        double alongSpan = 2 * room.halfWidth() - 2;
        double sideScale = 0.9 * Math.min(z1, -z0) / (x1 - 1); // the side walls' clutter spread over 90 % of them
        List<Vec3[]> crates = new ArrayList<>();
        for (int i = 0; i < room.clutter(); i++) {
            double along = along0 + layout.nextDouble() * alongSpan;
            double w = 0.4 + layout.nextDouble() * 1.2;
            double h = 0.3 + layout.nextDouble() * 1.6;
            double d = 0.4 + layout.nextDouble() * 0.8;
            double albedo = 0.2 + layout.nextDouble() * 0.5;
            Vec3[] box = switch (i % 4) {
                case 0 -> new Vec3[] {new Vec3(along, y0, z0 + 0.1), new Vec3(along + w, y0 + h, z0 + 0.1 + d)};
                case 1 -> new Vec3[] {new Vec3(along, y0, z1 - 0.1 - d), new Vec3(along + w, y0 + h, z1 - 0.1)};
                case 2 -> new Vec3[] {new Vec3(x0 + 0.1, y0, along * sideScale), new Vec3(x0 + 0.1 + d, y0 + h,
                        along * sideScale + w)};
                default -> new Vec3[] {new Vec3(x1 - 0.1 - d, y0, along * sideScale), new Vec3(x1 - 0.1, y0 + h,
                        along * sideScale + w)};
            };
            box = new Vec3[] {inside(box[0], x0, x1, z0, z1), inside(box[1], x0, x1, z0, z1)};
            addBox(box[0], box[1], albedo, Texture.PLAIN, false);
            crates.add(box);
        }
        for (int shelf = 0; shelf < room.shelves(); shelf++) {
            double y = y0 + 0.9 + shelf * 0.8;
            addBox(new Vec3(x0 + 1.5, y, z0 + 0.05), new Vec3(x0 + 6.5, y + 0.05, z0 + 0.6), 0.55, Texture.PLAIN, false);
            addBox(new Vec3(x1 - 6, y, z0 + 0.05), new Vec3(x1 - 1.5, y + 0.05, z0 + 0.6), 0.55, Texture.PLAIN, false);
        }
        // a gantry truss across the back, and the mock-up's stand
        double trussZ = z0 + 1.5;
        if (room.truss()) {
            double end = x1 - 3;
            for (double x = -end; x <= end; x += 2) {
                rods.add(new Rod(new Vec3(x, y0, trussZ), new Vec3(x, 4.5, trussZ), 0.05, 0.7));
                rods.add(new Rod(new Vec3(x, 4.5, trussZ), new Vec3(x + 2, y0 + 0.2, trussZ), 0.025, 0.65));
            }
            rods.add(new Rod(new Vec3(-end, 4.5, trussZ), new Vec3(end + 2, 4.5, trussZ), 0.06, 0.7));
        }
        rods.add(new Rod(new Vec3(0, y0, 0), new Vec3(0, -0.5, 0), 0.08, 0.35));
        // cables hanging from the ceiling at the back
        for (int i = 0; i < room.cables(); i++) {
            double x = -5 + layout.nextDouble() * 10;
            rods.add(new Rod(new Vec3(x, 4.5, trussZ), new Vec3(x + layout.nextDouble() - 0.5, y0, z0 + 2.5
                    + layout.nextDouble()), 0.015, 0.15));
        }
        // bright knobs on top of some crates
        for (int i = 0; i < room.brightKnobs() && !crates.isEmpty(); i++) {
            Vec3[] box = crates.get(layout.nextInt(crates.size()));
            double radius = 0.03 + 0.06 * layout.nextDouble();
            decoys.add(new Knob(new Vec3((box[0].x() + box[1].x()) / 2, box[1].y() + radius,
                    (box[0].z() + box[1].z()) / 2), radius, 0.7 + 0.25 * layout.nextDouble()));
        }
    }

    /** The point moved inside the walls: a crate drawn at a wall's corner must not stick out of the room. */
    private static Vec3 inside(Vec3 p, double x0, double x1, double z0, double z1) {
        return new Vec3(Math.max(x0 + 0.05, Math.min(x1 - 0.05, p.x())), p.y(),
                Math.max(z0 + 0.05, Math.min(z1 - 0.05, p.z())));
    }

    private static Face quad(Vec3 a, Vec3 b, Vec3 c, Vec3 d, double albedo, Texture texture) {
        return new Face(new Vec3[] {a, b, c, d}, albedo, texture, false, true);
    }

    /** Adds the six faces of an axis-aligned box, corners ordered so normals point outwards. */
    private void addBox(Vec3 min, Vec3 max, double albedo, Texture texture, boolean satellite) {
        double x0 = min.x();
        double y0 = min.y();
        double z0 = min.z();
        double x1 = max.x();
        double y1 = max.y();
        double z1 = max.z();
        Texture sides = texture == Texture.FOIL ? Texture.PANEL_SEAMS : texture;
        faces.add(new Face(new Vec3[] {new Vec3(x0, y0, z1), new Vec3(x1, y0, z1), new Vec3(x1, y1, z1),
            new Vec3(x0, y1, z1)}, albedo, texture, satellite, false)); // front (+z)
        faces.add(new Face(new Vec3[] {new Vec3(x1, y0, z0), new Vec3(x0, y0, z0), new Vec3(x0, y1, z0),
            new Vec3(x1, y1, z0)}, albedo, texture, satellite, false)); // back
        faces.add(new Face(new Vec3[] {new Vec3(x1, y0, z1), new Vec3(x1, y0, z0), new Vec3(x1, y1, z0),
            new Vec3(x1, y1, z1)}, albedo, sides, satellite, false)); // right (+x)
        faces.add(new Face(new Vec3[] {new Vec3(x0, y0, z0), new Vec3(x0, y0, z1), new Vec3(x0, y1, z1),
            new Vec3(x0, y1, z0)}, albedo, sides, satellite, false)); // left
        faces.add(new Face(new Vec3[] {new Vec3(x0, y1, z1), new Vec3(x1, y1, z1), new Vec3(x1, y1, z0),
            new Vec3(x0, y1, z0)}, albedo, sides, satellite, false)); // top
        faces.add(new Face(new Vec3[] {new Vec3(x0, y0, z0), new Vec3(x1, y0, z0), new Vec3(x1, y0, z1),
            new Vec3(x0, y0, z1)}, albedo, sides, satellite, false)); // bottom
    }

    public List<Face> faces() {
        return faces;
    }

    public List<Rod> rods() {
        return rods;
    }

    public List<Knob> decoys() {
        return decoys;
    }

    public Knob tip() {
        return new Knob(TIP, TIP_RADIUS, 0.95);
    }

    /**
     * True when the straight line from the eye to the tip's centre passes through the body or a
     * solar wing: the tip is hidden even if it projects inside the frame.
     */
    public boolean tipHiddenFrom(Vec3 eye) {
        Vec3 dir = TIP.minus(eye);
        if (segmentHitsBox(eye, dir, BODY_MIN, BODY_MAX)) {
            return true;
        }
        for (Face wing : wingFaces) {
            if (segmentHitsQuad(eye, dir, wing)) {
                return true;
            }
        }
        return false;
    }

    /** Slab test for the segment eye + t*dir, t in (0, 1). */
    private static boolean segmentHitsBox(Vec3 eye, Vec3 dir, Vec3 min, Vec3 max) {
        double tMin = 1e-9;
        double tMax = 1 - 1e-6;
        double[] o = {eye.x(), eye.y(), eye.z()};
        double[] d = {dir.x(), dir.y(), dir.z()};
        double[] lo = {min.x(), min.y(), min.z()};
        double[] hi = {max.x(), max.y(), max.z()};
        for (int axis = 0; axis < 3; axis++) {
            if (Math.abs(d[axis]) < 1e-12) {
                if (o[axis] < lo[axis] || o[axis] > hi[axis]) {
                    return false;
                }
                continue;
            }
            double t1 = (lo[axis] - o[axis]) / d[axis];
            double t2 = (hi[axis] - o[axis]) / d[axis];
            tMin = Math.max(tMin, Math.min(t1, t2));
            tMax = Math.min(tMax, Math.max(t1, t2));
            if (tMin > tMax) {
                return false;
            }
        }
        return true;
    }

    /** The wings are rectangles in a plane z = const. */
    private static boolean segmentHitsQuad(Vec3 eye, Vec3 dir, Face quad) {
        double z = quad.corners()[0].z();
        if (Math.abs(dir.z()) < 1e-12) {
            return false;
        }
        double t = (z - eye.z()) / dir.z();
        if (t <= 1e-9 || t >= 1 - 1e-6) {
            return false;
        }
        Vec3 hit = eye.plus(dir.times(t));
        double xa = Math.min(quad.corners()[0].x(), quad.corners()[2].x());
        double xb = Math.max(quad.corners()[0].x(), quad.corners()[2].x());
        double ya = Math.min(quad.corners()[0].y(), quad.corners()[2].y());
        double yb = Math.max(quad.corners()[0].y(), quad.corners()[2].y());
        return hit.x() >= xa && hit.x() <= xb && hit.y() >= ya && hit.y() <= yb;
    }
}
