package tipstream.dataset;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A frame's file name as rigs and CVAT exports write it, e.g. {@code 20180727-OG3_04_45-camL0000.png}:
 * capture name, camera (L or R) and frame number. Names are checked before anything else because
 * they end up in object keys and Kafka keys: only a plain file name is accepted ({@link PlainName}), never a path.
 */
public record FrameName(String name, String captureId, String camera, int index) {
    private static final Pattern RIG_NAME = Pattern.compile("(.+)-cam([LR])(\\d{1,9})\\.png");

    /**
     * Parses and checks a frame name. The capture id comes from the name when it follows the rig
     * pattern, else from {@code explicitCaptureId}; an explicit id wins when both exist.
     *
     * @throws IllegalArgumentException with the reason, for unsafe names or a missing capture id
     */
    public static FrameName parse(String name, String explicitCaptureId) {
        PlainName.require("frame name", name);
        if (!name.toLowerCase().endsWith(".png")) {
            throw new IllegalArgumentException("frame name '" + name + "' does not end in .png");
        }
        Matcher m = RIG_NAME.matcher(name);
        String capture = explicitCaptureId == null || explicitCaptureId.isEmpty() ? null : explicitCaptureId;
        if (capture != null) {
            PlainName.require("capture id", capture);
        }
        if (m.matches()) {
            return new FrameName(name, capture != null ? capture : m.group(1), m.group(2), Integer.parseInt(m.group(3)));
        }
        if (capture == null) {
            throw new IllegalArgumentException("frame name '" + name
                    + "' does not name its capture (<capture>-cam<L|R><n>.png) and no capture id was given");
        }
        return new FrameName(name, capture, "", -1);
    }

    /** The rig's name for frame {@code index} of a capture's left camera, e.g. {@code c-camL0007.png}. */
    public static String of(String captureId, int index) {
        return String.format(java.util.Locale.ROOT, "%s-camL%04d.png", captureId, index);
    }

    /** The capture id a rig-style name carries, if any (no checks beyond the pattern). */
    public static Optional<String> captureOf(String name) {
        Matcher m = RIG_NAME.matcher(name);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
