package tipstream.eval;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
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
 * with the same tags). A file is rewritten whole when its run has new events: S3 objects cannot
 * be appended to, and the name stays the same so TensorBoard sees one file per run.
 */
@ApplicationScoped
public class EventFileWriter {
    private static final Logger LOG = Logger.getLogger(EventFileWriter.class);

    private final MetricStore store;
    private final BlobStore blobs;
    private final EvalConfig config;
    private final Map<String, Integer> writtenCounts = new HashMap<>();
    private ScheduledExecutorService timer;

    public EventFileWriter(MetricStore store, BlobStore blobs, EvalConfig config) {
        this.store = store;
        this.blobs = blobs;
        this.config = config;
    }

    void start(@Observes StartupEvent event) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "event-files"));
        timer.scheduleWithFixedDelay(this::writeChanged, config.eventFilesEverySeconds(),
                config.eventFilesEverySeconds(), TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        timer.shutdown();
        timer.awaitTermination(10, TimeUnit.SECONDS);
        writeChanged();
    }

    /** Writes the file of every run that has events not yet in S3. */
    synchronized void writeChanged() {
        try {
            for (RunInfo run : store.runs()) {
                List<MetricEvent> events = new ArrayList<>();
                for (String tag : run.getTagsList()) {
                    events.addAll(store.series(run.getRun(), tag));
                }
                if (events.isEmpty() || Integer.valueOf(events.size()).equals(writtenCounts.get(run.getRun()))) {
                    continue;
                }
                events.sort(Comparator.comparingLong(MetricEvent::getStep).thenComparing(MetricEvent::getTag));
                long createdAt = events.stream().mapToLong(MetricEvent::getWallTimeMs).min().orElseThrow();
                blobs.put(key(run.getRun(), createdAt), TfEventsFile.of(events, createdAt), "application/octet-stream");
                writtenCounts.put(run.getRun(), events.size());
            }
        } catch (RuntimeException e) {
            LOG.warnf("event files not written this time: %s", e.toString());
        }
    }

    /** runs/<run-id>/<train|eval>/events.out.tfevents.<seconds>.tipstream */
    static String key(String run, long createdAtMs) {
        return ObjectKeys.eventFiles(run) + TfEventsFile.fileName(createdAtMs, "tipstream");
    }
}
