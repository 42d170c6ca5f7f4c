package tipstream.augment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.InterruptException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.CaptureSplit;
import tipstream.dataset.FrameFormat;
import tipstream.dataset.WriterFence;

/**
 * Runs an {@link AugmentWorker} pass every few seconds on its own thread. A failed pass (S3 or
 * Kafka away) is logged and retried at the next interval: passes write only deterministic names,
 * so a repeated pass never duplicates anything. Replicas of the service share the captures to
 * build and one of them publishes the versions ({@link AugmentWorker}, {@link BuildShare}).
 */
@ApplicationScoped
public class AugmentService {
    private static final Logger LOG = Logger.getLogger(AugmentService.class);

    private final AugmentConfig config;
    private final AugmentWorker worker;
    private final Counter versions;
    private final Counter samples;
    private final Counter deadLetters;
    private final Counter failedPasses;
    private final Timer passes;
    private volatile boolean stopping;
    private volatile String lastFailure = "";
    private volatile Thread thread;

    public AugmentService(AugmentConfig config, BlobStore blobs, Producer<String, byte[]> producer,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
            @ConfigProperty(name = "quarkus.application.version") String applicationVersion,
            @ConfigProperty(name = "tipstream.frame.width") int frameWidth,
            @ConfigProperty(name = "tipstream.frame.height") int frameHeight, MeterRegistry registry) {
        this.config = config;
        DatasetAssembler assembler = new DatasetAssembler(config.dataset(),
                new CaptureSplit(config.evalPercent(), config.validationPercent(), config.splitSalt()), config.augmentations().orElse(List.of()),
                new FrameFormat(frameWidth, frameHeight), config.inputWidth(), config.inputHeight(), config.shardSize(), CodeVersion.of(applicationVersion));
        this.worker = new AugmentWorker(blobs, bootstrapServers, producer,
                () -> WriterFence.open(bootstrapServers, WriterFence.augmentOf(config.dataset())), assembler,
                config.dataset());
        this.versions = registry.counter("tipstream.augment.versions");
        this.samples = registry.counter("tipstream.augment.samples");
        this.deadLetters = registry.counter("tipstream.augment.dead.letters");
        this.failedPasses = registry.counter("tipstream.augment.passes.failed");
        this.passes = registry.timer("tipstream.augment.passes");
    }

    void start(@Observes StartupEvent event) {
        thread = new Thread(this::run, "augment-passes");
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        stopping = true;
        if (thread != null) {
            thread.interrupt();
            thread.join(30_000);
        }
        worker.close();
    }

    /** See {@link AugmentWorker#recordsDone()}. */
    public long recordsDone() {
        return worker.recordsDone();
    }

    /** See {@link AugmentWorker#publishes()}. */
    public boolean publishes() {
        return worker.publishes();
    }

    /** Whether the pass thread is running (or stopping on purpose). */
    public boolean isRunning() {
        return stopping || (thread != null && thread.isAlive());
    }

    /** The last failed pass's error, or empty while passes succeed. */
    public String lastFailure() {
        return lastFailure;
    }

    private void run() {
        LOG.infof("building dataset '%s' from tipstream.frames + tipstream.labels every %d s, train augmentations %s",
                config.dataset(), config.intervalSeconds(), config.augmentations().orElse(List.of()));
        while (!stopping) {
            long t0 = System.nanoTime();
            try {
                AugmentWorker.Pass pass = worker.runOnce();
                long nanos = System.nanoTime() - t0;
                passes.record(nanos, TimeUnit.NANOSECONDS);
                deadLetters.increment(pass.deadLettered());
                lastFailure = "";
                if (pass.version().isPresent()) {
                    versions.increment();
                    samples.increment(pass.samples());
                    LOG.infof("dataset %s %s: %d labelled frames -> %d samples in %d shards (%d built, the rest"
                            + " unchanged since the last version), %.1f s", config.dataset(), pass.version().get(),
                            pass.labelledFrames(), pass.samples(), pass.shards(), pass.shardsBuilt(), nanos / 1e9);
                }
            } catch (InterruptedException | InterruptException e) {
                return; // shutting down (Kafka's clients turn an interrupt into their own exception)
            } catch (Exception e) {
                failedPasses.increment();
                lastFailure = e.toString();
                LOG.warnf("augment pass failed, retrying in %d s: %s", config.intervalSeconds(), e);
            }
            try {
                Thread.sleep(config.intervalSeconds() * 1000L);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
