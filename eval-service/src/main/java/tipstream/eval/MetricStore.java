package tipstream.eval;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import tipstream.v1.MetricEvent;
import tipstream.v1.RunInfo;

/**
 * Every metric event seen on {@code tipstream.metrics}, by run, tag and step. Adding an event for
 * a (run, tag, step) that is already here replaces it, so replaying the topic changes nothing.
 * Live subscribers hear each new event once it is stored.
 */
@ApplicationScoped
public class MetricStore {
    private final Map<String, Map<String, TreeMap<Long, MetricEvent>>> runs = new TreeMap<>();
    /** How many events each series (a run's train, eval or validation) has taken: what changed since a save. */
    private final Map<String, Long> revisions = new HashMap<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    /** A live subscription: which events it wants, and where they go. */
    public record Subscriber(String run, String tag, long fromStep, Consumer<MetricEvent> sink) {
        boolean wants(MetricEvent e) {
            return (run.isEmpty() || run.equals(e.getRun())) && (tag.isEmpty() || tag.equals(e.getTag()))
                    && e.getStep() >= fromStep;
        }
    }

    /** Stores the event and hands it to the subscribers that want it. */
    public synchronized void add(MetricEvent event) {
        runs.computeIfAbsent(event.getRun(), r -> new TreeMap<>())
                .computeIfAbsent(event.getTag(), t -> new TreeMap<>())
                .put(event.getStep(), event);
        revisions.merge(event.getRun(), 1L, Long::sum);
        for (Subscriber s : subscribers) {
            if (s.wants(event)) {
                s.sink().accept(event);
            }
        }
    }

    /**
     * Registers the subscriber for new events and answers the stored events it wants, ordered by
     * step: the caller sends those first. Under the same lock as {@link #add}, so no event is
     * missed, sent twice or overtaken; the sending is the caller's, outside the lock.
     */
    public synchronized List<MetricEvent> subscribe(Subscriber subscriber) {
        List<MetricEvent> replay = new ArrayList<>();
        runs.forEach((run, tags) -> tags.forEach((tag, steps) -> steps.tailMap(subscriber.fromStep(), true).values()
                .stream().filter(subscriber::wants).forEach(replay::add)));
        replay.sort(Comparator.comparingLong(MetricEvent::getStep).thenComparing(MetricEvent::getRun)
                .thenComparing(MetricEvent::getTag));
        subscribers.add(subscriber);
        return replay;
    }

    public void unsubscribe(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    public synchronized List<RunInfo> runs() {
        List<RunInfo> infos = new ArrayList<>();
        runs.forEach((run, tags) -> infos.add(RunInfo.newBuilder().setRun(run).addAllTags(tags.keySet())
                .setLastStep(tags.values().stream().mapToLong(TreeMap::lastKey).max().orElse(0)).build()));
        return infos;
    }

    /** Each series' revision: it grows with every event the series takes, replaced values too. */
    public synchronized Map<String, Long> revisions() {
        return Map.copyOf(revisions);
    }

    /** Every event of one series (run), by tag, then step. */
    public synchronized List<MetricEvent> events(String run) {
        List<MetricEvent> events = new ArrayList<>();
        runs.getOrDefault(run, Map.of()).values().forEach(steps -> events.addAll(steps.values()));
        return events;
    }

    public synchronized List<MetricEvent> series(String run, String tag) {
        var steps = runs.getOrDefault(run, Map.of()).get(tag);
        return steps == null ? List.of() : List.copyOf(steps.values());
    }
}
