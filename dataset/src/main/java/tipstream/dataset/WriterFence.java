package tipstream.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One writer at a time, on Kafka's own mechanism: a writer's announcements go out through a
 * transactional producer whose id names what it writes (a training run: review R12; a dataset:
 * R6), so a second writer of the same thing (a pod on a partitioned node and its replacement, a
 * rolling update, {@code kubectl scale}, two {@code ./run.sh --run-id X}) fences the first when it
 * starts. What is announced is stored inside a transaction opened before the store: a fenced
 * writer learns it from the broker before it writes anything and stops with {@link TakenOver}; the
 * announcement becomes visible (to consumers reading committed records, as every reader of these
 * topics does) only once it is stored. A writer killed inside the transaction leaves it open until
 * the next writer of the same thing starts (which aborts it) or the transaction times out.
 */
public final class WriterFence implements AutoCloseable {
    private final Producer<String, byte[]> producer;

    /** Another writer of the same thing has started since this one did: this one must stop. */
    public static final class TakenOver extends IllegalStateException {
        TakenOver(String what, Throwable cause) {
            super(what + " has another writer that started after this one; this one stops without writing", cause);
        }
    }

    /** Stores what is announced; runs inside the transaction that announces it. */
    @FunctionalInterface
    public interface Store {
        void run() throws Exception;
    }

    /** The transactional id of a training run's trainer. */
    public static String trainerOf(String runId) {
        return "tipstream-trainer-" + runId;
    }

    /** The transactional id of the augment that publishes a dataset's versions. */
    public static String augmentOf(String dataset) {
        return "tipstream-augment-" + dataset;
    }

    /** A fence on a new transactional producer (idempotent, acks=all, as every producer here); the fence closes it. */
    public static WriterFence open(String bootstrapServers, String transactionalId) {
        return new WriterFence(new KafkaProducer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.CLIENT_ID_CONFIG, transactionalId)),
                new StringSerializer(), new ByteArraySerializer()));
    }

    /** A fence on a producer configured with a transactional id ({@link #trainerOf}, {@link #augmentOf}). */
    public WriterFence(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    /**
     * Takes over: from here on every older writer of the same id is fenced, and a transaction one
     * of them left open is aborted.
     */
    public void claim() {
        producer.initTransactions();
    }

    /**
     * Sends the records in a transaction, waits until the broker has taken them (which fails a
     * fenced writer before anything is stored), stores, then commits. {@code what} names what is
     * written, for the error (e.g. "run tipnet").
     */
    public void publish(String what, List<ProducerRecord<String, byte[]>> records, Store store) throws Exception {
        try {
            producer.beginTransaction();
            List<Future<?>> sends = new ArrayList<>();
            for (ProducerRecord<String, byte[]> record : records) {
                sends.add(producer.send(record));
            }
            for (Future<?> send : sends) {
                send.get();
            }
            store.run();
            producer.commitTransaction();
        } catch (ExecutionException e) {
            throw fenced(e.getCause()) ? new TakenOver(what, e.getCause()) : abort(e);
        } catch (KafkaException e) {
            throw fenced(e) ? new TakenOver(what, e) : abort(e);
        } catch (Exception e) {
            throw abort(e);
        }
    }

    /** Whether the failure, or what caused it, is the broker saying another producer of the id took over. */
    private static boolean fenced(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /** Aborts the open transaction (best effort: the next writer of the same id aborts it too) and hands back the failure. */
    private Exception abort(Exception failure) {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    @Override
    public void close() {
        producer.close();
    }
}
