package tipstream.dataset;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads tip annotations from a CVAT export, in either of CVAT's two XML formats:
 * <ul>
 * <li>"CVAT for images 1.1": {@code <image name width height>} elements, each with its shapes;</li>
 * <li>"CVAT for video 1.1": {@code <track>} elements of keyframed shapes over a video's frame
 * numbers; the boxes and points between keyframes are interpolated linearly as CVAT does, and a
 * keyframe with {@code outside="1"} hides the object until the next keyframe.</li>
 * </ul>
 * A tip is a box (its centre; a box touching the image border is flagged clipped), a single point,
 * or a point of a skeleton. Only shapes of one label count: the one asked for, else {@code tip}
 * when the export has it, else the export's only label. {@code occluded} shapes count as visible.
 * The result lists the frames the export covers (every listed image; for video, the task's or
 * job's frame range) and what each says; a frame that cannot be read on its own (two tips, a
 * name listed twice with different tips, a multi-point shape) carries the reason instead of a tip.
 * The XML is read as a stream with a depth limit; DTDs are refused outright, so external entities
 * and entity expansion never happen.
 */
public final class CvatXmlReader {
    /** The default label of the tip. */
    public static final String TIP_LABEL = "tip";
    private static final int MAX_DEPTH = 32;
    private static final Pattern STEP = Pattern.compile("step\\s*=\\s*(\\d+)");

    /** Which of CVAT's XML formats an export is in. */
    public enum Format { IMAGES, VIDEO }

    /** A tip; {@code clipped} when its box touches the image border. */
    public record CvatTip(double x, double y, boolean clipped) {
    }

    /**
     * One frame the export covers: its name (a base name, as given, for images; the rig's name for
     * frame n of a video), its size as the export states it (0 when the export does not say), and
     * its tip, or, when the frame's annotation is ambiguous, {@code problem}.
     */
    public record CvatFrame(String name, int width, int height, Optional<CvatTip> tip, String problem) {
        public boolean readable() {
            return problem == null;
        }
    }

    /** What an export says: its format, the label read as the tip, and the frames it covers. */
    public record CvatExport(Format format, String label, List<CvatFrame> frames) {
    }

    /** An export that cannot be read; the message says where and why. */
    public static class InvalidCvatException extends Exception {
        public InvalidCvatException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final int maxBytes;

    public CvatXmlReader(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * @param label the tip's label, or null for the default choice
     * @param videoCapture for "CVAT for video": the capture whose frames the track frame numbers
     *     count, or null for the video file the task was made from ({@code <source>})
     */
    public CvatExport read(byte[] xml, String label, String videoCapture) throws InvalidCvatException {
        if (xml == null || xml.length == 0) {
            throw new InvalidCvatException("empty CVAT export", null);
        }
        if (xml.length > maxBytes) {
            throw new InvalidCvatException("CVAT export is " + xml.length + " bytes, over the limit of " + maxBytes, null);
        }
        Parsed parsed;
        try {
            parsed = parse(xml);
        } catch (XMLStreamException e) {
            throw new InvalidCvatException("malformed CVAT XML: " + e.getMessage(), e);
        }
        if (parsed.images.isEmpty() && parsed.tracks.isEmpty()) {
            throw new InvalidCvatException("the CVAT export lists no <image> and no <track>: nothing to import", null);
        }
        if (!parsed.images.isEmpty() && !parsed.tracks.isEmpty()) {
            throw new InvalidCvatException("the CVAT export mixes <image> and <track> elements: neither CVAT for images"
                    + " nor CVAT for video", null);
        }
        String chosen = chooseLabel(parsed, label);
        return parsed.tracks.isEmpty() ? new CvatExport(Format.IMAGES, chosen, imageFrames(parsed, chosen))
                : new CvatExport(Format.VIDEO, chosen, videoFrames(parsed, chosen, videoCapture));
    }

    /** A tip-like shape as written: a box's corners, or a point as a box of no size. */
    private record Shape(String label, double xtl, double ytl, double xbr, double ybr, int points) {
        Shape towards(Shape next, double t) {
            return new Shape(label, xtl + t * (next.xtl - xtl), ytl + t * (next.ytl - ytl), xbr + t * (next.xbr - xbr),
                    ybr + t * (next.ybr - ybr), points);
        }

        CvatTip tip(int width, int height) {
            boolean clipped = xbr > xtl && (xtl <= 0 || ytl <= 0 || (width > 0 && xbr >= width)
                    || (height > 0 && ybr >= height));
            return new CvatTip((xtl + xbr) / 2, (ytl + ybr) / 2, clipped);
        }
    }

    private record Image(String name, int width, int height, List<Shape> shapes) {
    }

    private record Keyframe(int frame, boolean outside, Shape shape) {
    }

    private static final class Parsed {
        final List<Image> images = new ArrayList<>();
        final List<List<Keyframe>> tracks = new ArrayList<>();
        final Set<String> labels = new LinkedHashSet<>();
        final Map<String, String> meta = new LinkedHashMap<>();
    }

    private static Parsed parse(byte[] xml) throws XMLStreamException, InvalidCvatException {
        XMLStreamReader in = newFactory().createXMLStreamReader(new ByteArrayInputStream(xml));
        Parsed parsed = new Parsed();
        List<String> path = new ArrayList<>();
        Image image = null;
        List<Keyframe> track = null;
        String trackLabel = null;
        Map<String, String> skeleton = null;
        try {
            while (in.hasNext()) {
                int event = in.next();
                if (event == XMLStreamConstants.DTD) {
                    throw new InvalidCvatException("CVAT exports have no DOCTYPE; one with a DTD is refused", null);
                }
                if (event == XMLStreamConstants.CHARACTERS && path.size() >= 3 && path.get(1).equals("meta")) {
                    parsed.meta.merge(metaKey(path), in.getText().trim(), String::concat);
                }
                if (event == XMLStreamConstants.END_ELEMENT) {
                    String name = path.remove(path.size() - 1);
                    switch (name) {
                        case "image" -> image = null;
                        case "track" -> track = null;
                        case "skeleton" -> skeleton = null;
                        default -> { }
                    }
                    continue;
                }
                if (event != XMLStreamConstants.START_ELEMENT) {
                    continue;
                }
                String name = in.getLocalName();
                path.add(name);
                if (path.size() > MAX_DEPTH) {
                    throw new InvalidCvatException("CVAT export nests elements deeper than " + MAX_DEPTH, null);
                }
                if (path.size() == 1) {
                    if (!name.equals("annotations")) {
                        throw new InvalidCvatException("not a CVAT export: root element is <" + name
                                + ">, expected <annotations>", null);
                    }
                    continue;
                }
                if (path.size() == 2 && name.equals("image")) {
                    String imageName = attribute(in, "name");
                    image = new Image(imageName, (int) number(in, "width", imageName), (int) number(in, "height", imageName),
                            new ArrayList<>());
                    parsed.images.add(image);
                } else if (path.size() == 2 && name.equals("track")) {
                    track = new ArrayList<>();
                    trackLabel = attribute(in, "label");
                    parsed.tracks.add(track);
                } else if (name.equals("skeleton") && (image != null || track != null)) {
                    skeleton = attributes(in);
                } else if ((name.equals("box") || name.equals("points")) && (image != null || track != null)) {
                    String where = image != null ? "image '" + image.name() + "'" : "track of '" + trackLabel + "'";
                    String label = skeleton != null || image != null ? attribute(in, "label") : trackLabel;
                    Shape shape = shape(in, name, label, where);
                    parsed.labels.add(label);
                    if (image != null) {
                        if (skeleton == null || !"1".equals(attribute(in, "outside"))) {
                            image.shapes().add(shape);
                        }
                    } else {
                        Map<String, String> owner = skeleton != null ? skeleton : attributes(in);
                        if (!"0".equals(owner.getOrDefault("keyframe", "1"))) {
                            boolean outside = "1".equals(owner.get("outside")) || "1".equals(attribute(in, "outside"));
                            track.add(new Keyframe(frameNumber(owner.get("frame"), where), outside, shape));
                        }
                    }
                }
            }
        } finally {
            in.close();
        }
        return parsed;
    }

    /** A meta value's key: its path below {@code <meta>} and its task, job or project, e.g. {@code original_size/width}. */
    private static String metaKey(List<String> path) {
        List<String> below = path.subList(2, path.size());
        boolean owner = below.size() > 1 && Set.of("task", "job", "project").contains(below.get(0));
        return String.join("/", owner ? below.subList(1, below.size()) : below);
    }

    private static Shape shape(XMLStreamReader in, String kind, String label, String where) throws InvalidCvatException {
        if (kind.equals("box")) {
            double xtl = number(in, "xtl", where);
            double ytl = number(in, "ytl", where);
            double xbr = number(in, "xbr", where);
            double ybr = number(in, "ybr", where);
            if (xbr < xtl || ybr < ytl) {
                throw new InvalidCvatException(where + " has a box with its corners swapped", null);
            }
            return new Shape(label, xtl, ytl, xbr, ybr, 1);
        }
        String text = attribute(in, "points");
        String[] points = text.split(";");
        String[] first = points[0].split(",");
        if (first.length != 2) {
            throw new InvalidCvatException(where + ": points='" + text + "' is not a list of x,y pairs", null);
        }
        double x = parse(first[0], "points", where);
        double y = parse(first[1], "points", where);
        return new Shape(label, x, y, x, y, points.length);
    }

    private String chooseLabel(Parsed parsed, String asked) throws InvalidCvatException {
        if (asked != null && !asked.isBlank()) {
            if (!parsed.labels.contains(asked)) {
                throw new InvalidCvatException("no box or point in the export is labelled '" + asked + "'; its labels: "
                        + parsed.labels, null);
            }
            return asked;
        }
        Optional<String> tip = parsed.labels.stream().filter(l -> l.equalsIgnoreCase(TIP_LABEL)).findFirst();
        if (tip.isPresent()) {
            return tip.get();
        }
        if (parsed.labels.size() <= 1) {
            return parsed.labels.isEmpty() ? TIP_LABEL : parsed.labels.iterator().next();
        }
        throw new InvalidCvatException("the export has boxes or points of labels " + parsed.labels + " and none is '"
                + TIP_LABEL + "': say which label marks the tip", null);
    }

    private static List<CvatFrame> imageFrames(Parsed parsed, String label) {
        // One entry per base name; a name listed twice must say the same both times.
        Map<String, CvatFrame> frames = new LinkedHashMap<>();
        for (Image image : parsed.images) {
            String name = baseName(image.name());
            List<Shape> tips = image.shapes().stream().filter(s -> s.label().equals(label)).toList();
            CvatFrame frame = frame(name, image.width(), image.height(), tips);
            CvatFrame earlier = frames.putIfAbsent(name, frame);
            if (earlier != null && !earlier.equals(frame)) {
                frames.put(name, new CvatFrame(name, image.width(), image.height(), Optional.empty(),
                        "listed more than once in the export, with different tips"));
            }
        }
        return List.copyOf(frames.values());
    }

    private static CvatFrame frame(String name, int width, int height, List<Shape> tips) {
        if (tips.size() > 1) {
            return new CvatFrame(name, width, height, Optional.empty(), tips.size() + " tips on one frame");
        }
        if (tips.isEmpty()) {
            return new CvatFrame(name, width, height, Optional.empty(), null);
        }
        Shape tip = tips.get(0);
        if (tip.points() != 1) {
            return new CvatFrame(name, width, height, Optional.empty(), "a points shape of " + tip.points()
                    + " points; a tip is one point");
        }
        return new CvatFrame(name, width, height, Optional.of(tip.tip(width, height)), null);
    }

    /** CVAT names an image by its path in the task; frames are named by the file's own name. */
    private static String baseName(String name) {
        return name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    }

    private static List<CvatFrame> videoFrames(Parsed parsed, String label, String capture) throws InvalidCvatException {
        String source = capture != null && !capture.isBlank() ? capture : videoStem(parsed.meta);
        if (source == null) {
            throw new InvalidCvatException("a CVAT for video export without <source> in its meta: say which capture"
                    + " (video) its frame numbers count", null);
        }
        int width = (int) metaNumber(parsed.meta, "original_size/width", 0);
        int height = (int) metaNumber(parsed.meta, "original_size/height", 0);
        int step = 1;
        Matcher m = STEP.matcher(parsed.meta.getOrDefault("frame_filter", ""));
        if (m.find()) {
            step = Math.max(1, Integer.parseInt(m.group(1)));
        }
        List<List<Keyframe>> tracks = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = -1;
        for (List<Keyframe> track : parsed.tracks) {
            List<Keyframe> sorted = track.stream().filter(k -> k.shape().label().equals(label))
                    .sorted(Comparator.comparingInt(Keyframe::frame)).toList();
            if (!sorted.isEmpty()) {
                tracks.add(sorted);
                first = Math.min(first, sorted.get(0).frame());
                last = Math.max(last, sorted.get(sorted.size() - 1).frame());
            }
        }
        // Frame numbers are the video's; the task (or job) covers start_frame to stop_frame in steps.
        long start = metaNumber(parsed.meta, "start_frame", first == Long.MAX_VALUE ? 0 : first);
        long size = metaNumber(parsed.meta, "size", -1);
        long stop = metaNumber(parsed.meta, "stop_frame", size > 0 ? start + (size - 1) * step : last);
        if (start < 0 || stop < start || stop > Integer.MAX_VALUE || (stop - start) / step >= 10_000_000) {
            throw new InvalidCvatException("the export's frame range " + start + " to " + stop + " is not one a video"
                    + " has", null);
        }
        List<CvatFrame> frames = new ArrayList<>();
        for (long n = start; n <= stop; n += step) {
            List<Shape> tips = new ArrayList<>();
            for (List<Keyframe> track : tracks) {
                interpolate(track, (int) n).ifPresent(tips::add);
            }
            frames.add(frame(FrameName.of(source, (int) n), width, height, tips));
        }
        return frames;
    }

    /** The track's shape on frame n as CVAT interpolates it, or empty when it is outside or not yet begun. */
    static Optional<Shape> interpolate(List<Keyframe> track, int n) {
        Keyframe before = null;
        Keyframe after = null;
        for (Keyframe k : track) {
            if (k.frame() <= n) {
                before = k;
            } else {
                after = k;
                break;
            }
        }
        if (before == null || before.outside()) {
            return Optional.empty();
        }
        if (after == null || before.frame() == n) {
            return Optional.of(before.shape());
        }
        double t = (double) (n - before.frame()) / (after.frame() - before.frame());
        return Optional.of(before.shape().towards(after.shape(), t));
    }

    /** The capture a video task's frames belong to: its video file's name without the extension. */
    private static String videoStem(Map<String, String> meta) {
        String source = meta.get("source");
        if (source == null || source.isBlank()) {
            return null;
        }
        String base = baseName(source);
        int dot = base.lastIndexOf('.');
        return dot > 0 ? base.substring(0, dot) : base;
    }

    private static long metaNumber(Map<String, String> meta, String key, long fallback) throws InvalidCvatException {
        String text = meta.get(key);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidCvatException("meta <" + key + "> '" + text + "' is not a whole number", e);
        }
    }

    private static int frameNumber(String text, String where) throws InvalidCvatException {
        try {
            int frame = Integer.parseInt(text == null ? "" : text.trim());
            if (frame < 0) {
                throw new NumberFormatException("negative");
            }
            return frame;
        } catch (NumberFormatException e) {
            throw new InvalidCvatException(where + ": frame='" + text + "' is not a frame number", e);
        }
    }

    private static String attribute(XMLStreamReader in, String name) {
        String value = in.getAttributeValue(null, name);
        return value == null ? "" : value;
    }

    private static Map<String, String> attributes(XMLStreamReader in) {
        Map<String, String> all = new TreeMap<>();
        for (int i = 0; i < in.getAttributeCount(); i++) {
            all.put(in.getAttributeLocalName(i), in.getAttributeValue(i));
        }
        return all;
    }

    private static double number(XMLStreamReader in, String attribute, String where) throws InvalidCvatException {
        return parse(attribute(in, attribute), in.getLocalName() + "> attribute " + attribute, where);
    }

    private static double parse(String text, String what, String where) throws InvalidCvatException {
        try {
            double value = Double.parseDouble(text);
            if (!Double.isFinite(value)) {
                throw new NumberFormatException("not finite");
            }
            return value;
        } catch (NumberFormatException e) {
            String subject = what.contains(">") ? "<" + what + "='" + text + "'" : what + "='" + text + "'";
            throw new InvalidCvatException(where + ": " + subject + " is not a finite number", e);
        }
    }

    private static XMLInputFactory newFactory() {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        // DTDs are reported, not processed, and then refused: no external entity, no expansion.
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_COALESCING, true);
        return factory;
    }
}
