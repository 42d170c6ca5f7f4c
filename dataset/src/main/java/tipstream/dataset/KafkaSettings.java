package tipstream.dataset;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every Kafka client of tipstream is built from: the brokers, the connection's security
 * (TLS, SASL) from the environment, and the client's own settings. Each environment variable
 * {@code TIPSTREAM_KAFKA_<NAME>} is the client setting {@code <name>} in lower case with '.' for
 * '_' ({@code TIPSTREAM_KAFKA_SECURITY_PROTOCOL=SSL} is {@code security.protocol=SSL},
 * {@code TIPSTREAM_KAFKA_SSL_TRUSTSTORE_LOCATION} is {@code ssl.truststore.location},
 * {@code TIPSTREAM_KAFKA_SASL_JAAS_CONFIG} is {@code sasl.jaas.config}), so a deployment whose
 * brokers want TLS or SASL sets them once for every producer, consumer and admin client (review R18).
 */
public final class KafkaSettings {
    static final String PREFIX = "TIPSTREAM_KAFKA_";
    private static final Map<String, Object> FROM_ENVIRONMENT = fromEnvironment(System.getenv());

    private KafkaSettings() {
    }

    /** The client settings for {@code bootstrapServers}: the environment's connection settings and {@code own}. */
    public static Map<String, Object> of(String bootstrapServers, Map<String, ?> own) {
        Map<String, Object> settings = new HashMap<>(FROM_ENVIRONMENT);
        settings.putAll(own);
        settings.put("bootstrap.servers", bootstrapServers);
        return settings;
    }

    /** The client settings an environment gives ({@code TIPSTREAM_KAFKA_*}). */
    static Map<String, Object> fromEnvironment(Map<String, String> environment) {
        Map<String, Object> settings = new TreeMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(PREFIX) && name.length() > PREFIX.length()) {
                settings.put(name.substring(PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return settings;
    }
}
