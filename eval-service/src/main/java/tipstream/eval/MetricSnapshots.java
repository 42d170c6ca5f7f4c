package tipstream.eval;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.ObjectKeys;
import tipstream.v1.MetricEvent;

/**
 * eval's {@link MetricStore} kept in S3, so that a restarted eval reads {@code tipstream.metrics}
 * on from where it was instead of from offset 0, and keeps every event the topic no longer holds
 * (issue 12, review R1). Each series (a run's train, eval or validation) is one object of
 * length-delimited MetricEvents, {@code metrics/store/<sha256 of the series>.pb}, rewritten when
 * the series changed; after them {@code metrics/store/positions.properties} names the series and
 * the topic positions before which every record is in them. Saved and loaded by the thread that
 * reads the topic ({@link MetricsConsumer}), so the positions and the series agree.
 */
@ApplicationScoped
public class MetricSnapshots {
    private static final Logger LOG = Logger.getLogger(MetricSnapshots.class);

    private final BlobStore blobs;
    /** Each series' revision when it was last saved or loaded. */
    private final Map<String, Long> saved = new HashMap<>();
    private Map<Integer, Long> savedPositions = Map.of();
    /** The id of the topic the saved positions are on; empty while unknown. */
    private String savedTopicId = "";

    public MetricSnapshots(BlobStore blobs) {
        this.blobs = blobs;
    }

    /**
     * Adds the saved series to {@code store} and answers the partitions' positions they hold
     * everything before (empty when nothing was saved, or the snapshot cannot be read: then the
     * topic is read from its beginning, as before there were snapshots). Positions saved for a
     * topic of another id than {@code topicId} (the topic deleted and created again) are not
     * answered: the new topic is read from its beginning, the saved series kept.
     */
    public synchronized Map<Integer, Long> load(MetricStore store, String topicId) {
        try {
            var text = blobs.find(ObjectKeys.metricPositions());
            if (text.isEmpty()) {
                return Map.of();
            }
            Properties properties = new Properties();
            properties.load(new StringReader(new String(text.get(), StandardCharsets.UTF_8)));
            Map<Integer, Long> positions = new TreeMap<>();
            int events = 0;
            for (String name : properties.stringPropertyNames()) {
                if (name.startsWith("position.")) {
                    positions.put(Integer.parseInt(name.substring("position.".length())),
                            Long.parseLong(properties.getProperty(name)));
                } else if (name.startsWith("series.")) {
                    events += read(properties.getProperty(name), store);
                }
            }
            saved.putAll(store.revisions());
            savedTopicId = properties.getProperty("topic.id", "");
            if (!savedTopicId.isEmpty() && !topicId.isEmpty() && !savedTopicId.equals(topicId)) {
                LOG.warnf("tipstream.metrics is another topic (id %s) than the snapshot's (id %s): reading it from its"
                        + " beginning", topicId, savedTopicId);
                positions.clear();
            }
            savedPositions = Map.copyOf(positions);
            LOG.infof("metric store loaded from S3: %d series, %d events, topic positions %s", saved.size(), events,
                    positions);
            return savedPositions;
        } catch (IOException | RuntimeException e) {
            LOG.warnf("metric store snapshot not read (%s); reading tipstream.metrics from its beginning", e.toString());
            return Map.of();
        }
    }

    /**
     * Writes every series that changed since the last save or load, then {@code positions} on the
     * topic of {@code topicId}: every record before them must be in the store. Nothing is written
     * when nothing changed. An empty {@code topicId} (the broker did not say) keeps the id the
     * snapshot had, so a topic created again is still told apart at the next start.
     */
    public synchronized void save(MetricStore store, Map<Integer, Long> positions, String topicId) {
        Map<String, Long> revisions = store.revisions();
        boolean changed = !positions.equals(savedPositions);
        for (var series : revisions.entrySet()) {
            if (!series.getValue().equals(saved.get(series.getKey()))) {
                blobs.put(ObjectKeys.metricSeries(series.getKey()), delimited(store, series.getKey()),
                        "application/octet-stream");
                saved.put(series.getKey(), series.getValue());
                changed = true;
            }
        }
        if (!changed) {
            return;
        }
        Properties properties = new Properties();
        int i = 0;
        for (String series : new TreeSet<>(revisions.keySet())) {
            properties.setProperty("series." + i++, series);
        }
        positions.forEach((partition, offset) -> properties.setProperty("position." + partition, Long.toString(offset)));
        if (!topicId.isEmpty()) {
            savedTopicId = topicId;
        }
        properties.setProperty("topic.id", savedTopicId);
        StringWriter text = new StringWriter();
        try {
            properties.store(text, "tipstream.metrics read up to these positions; the series' events are in "
                    + ObjectKeys.METRIC_STORE + "<sha256 of the series>.pb");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        blobs.put(ObjectKeys.metricPositions(), text.toString().getBytes(StandardCharsets.UTF_8), "text/plain");
        savedPositions = Map.copyOf(positions);
    }

    private static byte[] delimited(MetricStore store, String series) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (MetricEvent event : store.events(series)) {
                event.writeDelimitedTo(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private int read(String series, MetricStore store) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(blobs.get(ObjectKeys.metricSeries(series)));
        int count = 0;
        MetricEvent event;
        while ((event = MetricEvent.parseDelimitedFrom(in)) != null) {
            if (!event.getRun().equals(series)) {
                throw new IOException("the snapshot of series '" + series + "' holds an event of '" + event.getRun() + "'");
            }
            store.add(event);
            count++;
        }
        return count;
    }
}
