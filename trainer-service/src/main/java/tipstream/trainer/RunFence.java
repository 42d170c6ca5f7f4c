package tipstream.trainer;

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
 * One trainer per run (review R12), on Kafka's own mechanism: a run's announcements go out through
 * a transactional producer whose id is the run's, so a second trainer of the same run (a pod on a
 * partitioned node and its replacement, {@code kubectl scale}, two {@code ./run.sh --run-id X})
 * fences the first when it starts. A checkpoint is announced in a transaction opened before the
 * checkpoint is stored: a fenced trainer learns it from the broker before it writes anything and
 * stops with {@link TakenOver}; the announcement becomes visible (to consumers reading committed
 * records, as eval does) only once the checkpoint is stored. A trainer killed inside the
 * transaction leaves it open until the next trainer of the run starts (which aborts it) or the
 * transaction times out.
 */
public final class RunFence implements AutoCloseable {
    private final Producer<String, byte[]> producer;

    /** Another trainer of the same run has started since this one did: this one must stop. */
    public static final class TakenOver extends IllegalStateException {
        TakenOver(String runId, Throwable cause) {
            super("run " + runId + " is trained by another trainer that started after this one; this one stops"
                    + " without writing its checkpoint", cause);
        }
    }

    /** Stores a checkpoint; runs inside the transaction that announces it. */
    @FunctionalInterface
    public interface Store {
        void run() throws Exception;
    }

    /** The transactional id of a run's trainer. */
    public static String transactionalId(String runId) {
        return "tipstream-trainer-" + runId;
    }

    /** A run's transactional producer (idempotent, acks=all, as every producer here); the fence closes it. */
    public static RunFence open(String bootstrapServers, String runId) {
        return new RunFence(new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(runId),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.CLIENT_ID_CONFIG, "trainer-" + runId),
                new StringSerializer(), new ByteArraySerializer()));
    }

    /** A fence on a producer configured with the run's {@link #transactionalId}. */
    public RunFence(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    /**
     * Takes the run: from here on every older trainer of it is fenced, and a transaction one of
     * them left open is aborted.
     */
    void claim() {
        producer.initTransactions();
    }

    /**
     * Sends the records in a transaction, waits until the broker has taken them (which fails a
     * fenced trainer before anything is stored), stores, then commits.
     */
    void publish(String runId, List<ProducerRecord<String, byte[]>> records, Store store) throws Exception {
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
            throw fenced(e.getCause()) ? new TakenOver(runId, e.getCause()) : abort(e);
        } catch (KafkaException e) {
            throw fenced(e) ? new TakenOver(runId, e) : abort(e);
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

    /** Aborts the open transaction (best effort: the next trainer of the run aborts it too) and hands back the failure. */
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
