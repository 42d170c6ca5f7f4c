package tipstream.eval;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.minio.messages.Item;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.ObjectKeys;
import tipstream.v1.MetricEvent;
import tipstream.v1.RunInfo;

/**
 * Keeps a TensorBoard event file per run in S3 ({@code runs/<run-id>/train/} and {@code .../eval/},
 * so {@code tensorboard --logdir} over a copy of {@code runs/} shows train and eval as two runs
 * with the same tags). A file is rewritten whole when its run's revision in the store changes (S3
 * objects cannot be appended to), under the name it was first written with, which a restarted eval
 * finds in S3: one file per run, so TensorBoard shows one series. Before, the name followed the
 * earliest event's wall time and a change was seen by the events' count, so a re-evaluated step 0
 * left a second file beside the first and a replaced value was never written (review R23).
 */
@ApplicationScoped
public class EventFileWriter {
    private static final Logger LOG = Logger.getLogger(EventFileWriter.class);

    private final MetricStore store;
    private final BlobStore blobs;
    private final int everySeconds;
    /** Each run's file, once known. */
    private final Map<String, String> keys = new HashMap<>();
    /** The store's revision of each run as last written ({@link MetricStore#revisions}). */
    private final Map<String, Long> written = new HashMap<>();
    private ScheduledExecutorService timer;

    @Inject
    public EventFileWriter(MetricStore store, BlobStore blobs, EvalConfig config) {
        this(store, blobs, config.eventFilesEverySeconds());
    }

    EventFileWriter(MetricStore store, BlobStore blobs, int everySeconds) {
        this.store = store;
        this.blobs = blobs;
        this.everySeconds = everySeconds;
    }

    void start(@Observes StartupEvent event) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "event-files"));
        timer.scheduleWithFixedDelay(this::writeChanged, everySeconds, everySeconds, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        timer.shutdown();
        timer.awaitTermination(10, TimeUnit.SECONDS);
        writeChanged();
    }

    /** Writes the file of every run that has events not yet in S3. */
    synchronized void writeChanged() {
        try {
            Map<String, Long> revisions = store.revisions(); // read before the events: a later add is written next time
            for (RunInfo run : store.runs()) {
                Long revision = revisions.get(run.getRun());
                if (revision == null || revision.equals(written.get(run.getRun()))) {
                    continue;
                }
                List<MetricEvent> events = new ArrayList<>();
                for (String tag : run.getTagsList()) {
                    events.addAll(store.series(run.getRun(), tag));
                }
                if (events.isEmpty()) {
                    continue;
                }
                events.sort(Comparator.comparingLong(MetricEvent::getStep).thenComparing(MetricEvent::getTag));
                String key = keys.computeIfAbsent(run.getRun(), r -> keyFor(r, events));
                byte[] file = TfEventsFile.of(events, TfEventsFile.createdAtMs(fileName(key)));
                blobs.put(key, file, "application/octet-stream");
                written.put(run.getRun(), revision);
            }
        } catch (RuntimeException e) {
            LOG.warnf("event files not written this time: %s", e.toString());
        }
    }

    /**
     * The run's file: the one S3 holds for it (an earlier eval wrote it; of several, left by a version that
     * named files after their earliest event, the first, the others deleted), else one named after the
     * earliest event's time.
     */
    private String keyFor(String run, List<MetricEvent> events) {
        List<String> held = blobs.list(ObjectKeys.eventFiles(run)).stream().map(Item::objectName)
                .filter(name -> fileName(name).startsWith(TfEventsFile.FILE_PREFIX)).sorted().toList();
        if (held.isEmpty()) {
            return key(run, events.stream().mapToLong(MetricEvent::getWallTimeMs).min().orElseThrow());
        }
        for (String stale : held.subList(1, held.size())) {
            blobs.delete(stale);
            LOG.infof("deleted %s: run %s's events are in %s", stale, run, held.get(0));
        }
        return held.get(0);
    }

    private static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** runs/<run-id>/<train|eval>/events.out.tfevents.<seconds>.tipstream */
    static String key(String run, long createdAtMs) {
        return ObjectKeys.eventFiles(run) + TfEventsFile.fileName(createdAtMs, "tipstream");
    }
}
