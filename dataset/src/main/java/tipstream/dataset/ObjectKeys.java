package tipstream.dataset;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where everything lives in the bucket: the one home of the object-key layout (the README's "What
 * lands where" table describes the same), as {@link Topics} is of the topics. Keys are built from
 * names that were checked before (frame names, capture and run ids, content hashes), never from raw
 * input.
 */
public final class ObjectKeys {
    /** A checkpoint's network: {@link #checkpoint} and {@code .zip}. */
    private static final Pattern CHECKPOINT_ARCHIVE = Pattern.compile("runs/([^/]+)/checkpoints/step-\\d{12}\\.zip");

    /** Uploaded frames, content-addressed: storing the same frame again writes the same object. */
    public static final String FRAMES = "frames/";
    /** Each stored frame's reference, by capture and frame name ({@link FrameIndex}). */
    public static final String FRAME_INDEX = "index/frames/";
    /** Each frame's latest label, by capture and frame name ({@link FrameIndex}). */
    public static final String LABEL_INDEX = "index/labels/";
    /** The best evaluated checkpoint so far and its presence threshold: what predict serves. */
    public static final String BEST_MODEL = "models/best.pb";
    /** eval's metric store: one object per series and the topic positions it holds everything before. */
    public static final String METRIC_STORE = "metrics/store/";

    private ObjectKeys() {
    }

    /** An uploaded frame, by the SHA-256 of its PNG (hex). */
    public static String frame(String sha256) {
        return FRAMES + sha256 + ".png";
    }

    /** A dataset version's manifest. */
    public static String manifest(String dataset, String version) {
        return "datasets/" + dataset + "/" + version + "/manifest.json";
    }

    /** Where the dataset's newest version is named (plain text, e.g. "1.2.0"). */
    public static String latestVersion(String dataset) {
        return "datasets/" + dataset + "/latest";
    }

    /** A dataset's shards, of every version. */
    public static String shards(String dataset) {
        return "datasets/" + dataset + "/shards/";
    }

    /** A dataset's shard of these bytes: named by content, shared by every version that lists it. */
    public static String shard(String dataset, byte[] bytes) {
        return shards(dataset) + Sha256.hex(bytes) + ".tshard";
    }

    /**
     * Where the shards built from one capture's source are listed ({@code CaptureShards}): named by
     * the source's fingerprint, so the augment replica that publishes versions finds what another
     * replica built without listing anything.
     */
    public static String captureShards(String dataset, String sourceFingerprint) {
        return "datasets/" + dataset + "/captures/" + sourceFingerprint + ".pb";
    }

    /** A training run's files: checkpoints/, and a folder of TensorBoard event files per series (train/, eval/, ...). */
    public static String run(String runId) {
        return "runs/" + runId + "/";
    }

    /** A run's checkpoints. */
    public static String checkpoints(String runId) {
        return run(runId) + "checkpoints/";
    }

    /** A checkpoint's objects without their extension ({@code .zip}, {@code .state}, ...). */
    public static String checkpoint(String runId, long step) {
        return checkpoints(runId) + String.format("step-%012d", step);
    }

    /**
     * Why {@code key}, as a record names it, is not a checkpoint's network ({@code runs/<run
     * id>/checkpoints/step-<12 digits>.zip}), or empty when it is one: keys read from Kafka are
     * checked before they are fetched (review R20).
     */
    public static Optional<String> checkpointArchiveProblem(String key) {
        Matcher m = CHECKPOINT_ARCHIVE.matcher(key);
        if (!m.matches() || PlainName.problem("run id", m.group(1)).isPresent()) {
            return Optional.of("'" + PlainName.printable(key) + "' is not a checkpoint's key (runs/<run id>"
                    + "/checkpoints/step-<12 digits>.zip)");
        }
        return Optional.empty();
    }

    /** A series' TensorBoard event files, e.g. {@code runs/<run-id>/eval/} for the series {@code <run-id>/eval}. */
    public static String eventFiles(String series) {
        return "runs/" + series + "/";
    }

    /** A run's image summaries of each evaluation's worst frames. */
    public static String worstFrames(String runId) {
        return run(runId) + "eval_worst/";
    }

    /** eval's metric store: the topic positions it holds every event before, and the series it holds. */
    public static String metricPositions() {
        return METRIC_STORE + "positions.properties";
    }

    /** eval's metric store: one series' events (hashed: a run id is not a checked plain name). */
    public static String metricSeries(String series) {
        return METRIC_STORE + Sha256.hex(series.getBytes(StandardCharsets.UTF_8)) + ".pb";
    }

    /** A pretrained encoder, by the SHA-256 of its bytes. */
    public static String encoder(byte[] encoder) {
        return "encoders/" + Sha256.hex(encoder) + ".zip";
    }
}
