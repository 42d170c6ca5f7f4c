package tipstream.service;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import tipstream.dataset.BlobStore;
import tipstream.dataset.KafkaSettings;

/** The S3 store and the Kafka producer every service uses, built once from configuration. */
@ApplicationScoped
public class InfrastructureClients {

    @Produces
    @Singleton
    BlobStore blobStore(S3Config config) {
        BlobStore store = new BlobStore(new BlobStore.S3Config(config.endpoint(), config.accessKey(),
                config.secretKey(), config.bucket()));
        store.ensureBucket();
        return store;
    }

    /** Idempotent and acks=all (DESIGN.md): a retried send never duplicates a record. */
    @Produces
    @ApplicationScoped
    @DefaultBean
    Producer<String, byte[]> kafkaProducer(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
            @ConfigProperty(name = "quarkus.application.name") String service) {
        return new KafkaProducer<>(KafkaSettings.of(bootstrapServers, Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 2,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.CLIENT_ID_CONFIG, service)),
                new StringSerializer(), new ByteArraySerializer());
    }

    void closeProducer(@Disposes Producer<String, byte[]> producer) {
        producer.close();
    }
}
