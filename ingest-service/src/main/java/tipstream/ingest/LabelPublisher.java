package tipstream.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import tipstream.dataset.FrameIndex;
import tipstream.dataset.FrameName;
import tipstream.dataset.Topics;
import tipstream.v1.Point;
import tipstream.v1.TipLabel;

/**
 * Publishes tip labels on {@code tipstream.labels}. Each gets a revision larger than the frame's
 * latest stored label's and than any this process gave before (wall-clock ms, bumped on ties), so
 * the latest label wins downstream even when it comes through a replica whose clock is behind
 * (review R8). A label equal to the frame's latest one is not published again: re-sending is a no-op.
 */
@ApplicationScoped
public class LabelPublisher {
    private final Producer<String, byte[]> producer;
    private final FrameIndex index;
    private final AtomicLong lastRevision = new AtomicLong();
    private final Counter published;
    private final Clock clock;

    @Inject
    public LabelPublisher(Producer<String, byte[]> producer, FrameIndex index, MeterRegistry registry) {
        this(producer, index, registry, Clock.systemUTC());
    }

    LabelPublisher(Producer<String, byte[]> producer, FrameIndex index, MeterRegistry registry, Clock clock) {
        this.producer = producer;
        this.index = index;
        this.published = registry.counter("tipstream.ingest.labels.published");
        this.clock = clock;
    }

    /** What a label says, before it gets its revision and source. */
    public record Tip(boolean visible, double x, double y, boolean clipped) {
        public static final Tip NONE = new Tip(false, -1, -1, false);
    }

    /** Publishes the label unless it repeats the frame's latest; returns whether it published. */
    public boolean publish(FrameName frame, Tip tip, String source) throws ExecutionException, InterruptedException {
        return publish(frame, tip, source, true);
    }

    /**
     * As {@link #publish(FrameName, Tip, String)}; {@code mayHaveLabel} false (a frame stored just
     * now) skips the look-up of its latest label, one S3 round trip per new frame.
     */
    public boolean publish(FrameName frame, Tip tip, String source, boolean mayHaveLabel)
            throws ExecutionException, InterruptedException {
        TipLabel.Builder label = TipLabel.newBuilder()
                .setCaptureId(frame.captureId())
                .setFrameName(frame.name())
                .setVisible(tip.visible())
                .setClipped(tip.clipped());
        if (tip.visible()) {
            label.setTip(Point.newBuilder().setX(tip.x()).setY(tip.y()));
        }
        var latest = mayHaveLabel ? index.label(frame) : java.util.Optional.<TipLabel>empty();
        if (latest.isPresent() && sameTip(latest.get(), label)) {
            return false;
        }
        long after = latest.map(TipLabel::getRevision).orElse(0L);
        TipLabel revised = label.setRevision(nextRevision(after)).setSource(source).build();
        producer.send(new ProducerRecord<>(Topics.LABELS, frame.captureId(), revised.toByteArray())).get();
        index.recordLabel(revised);
        published.increment();
        return true;
    }

    private static boolean sameTip(TipLabel a, TipLabel.Builder b) {
        return a.getVisible() == b.getVisible() && a.getClipped() == b.getClipped()
                && a.getTip().getX() == b.getTip().getX() && a.getTip().getY() == b.getTip().getY();
    }

    private long nextRevision(long after) {
        long now = clock.millis();
        return lastRevision.updateAndGet(last -> Math.max(Math.max(last, after) + 1, now));
    }
}
