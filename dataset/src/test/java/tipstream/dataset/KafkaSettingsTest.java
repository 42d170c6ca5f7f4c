package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {
    @Test
    void theEnvironmentsKafkaVariablesAreClientSettingsAndNothingElseIs() {
        Map<String, Object> settings = KafkaSettings.fromEnvironment(Map.of(
                "TIPSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "TIPSTREAM_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12",
                "TIPSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "TIPSTREAM_KAFKA_", "ignored",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
                "TIPSTREAM_S3_ENDPOINT", "http://minio:9000"));
        assertThat(settings).containsOnly(Map.entry("security.protocol", "SASL_SSL"),
                Map.entry("ssl.truststore.location", "/etc/kafka/truststore.p12"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"));
    }

    @Test
    void aClientsOwnSettingsAndTheBrokersAreAdded() {
        Map<String, Object> settings = KafkaSettings.of("127.0.0.1:19092", Map.of("group.id", "eval-service"));
        assertThat(settings).containsEntry("bootstrap.servers", "127.0.0.1:19092")
                .containsEntry("group.id", "eval-service");
    }
}
