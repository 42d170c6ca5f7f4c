package tipstream.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Numbers a service reports in the data of its liveness checks ({@code GET /q/health/live}): the
 * trainer's step, the records augment has read. Read whatever the status, since a service that is
 * down still says why.
 */
public final class LiveHealth {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private LiveHealth() {
    }

    /** The value of {@code key} in any check's data, or empty while the service does not answer. */
    public static OptionalLong number(int port, String key) throws InterruptedException {
        JsonNode value = value(port, key);
        return value.canConvertToLong() ? OptionalLong.of(value.asLong()) : OptionalLong.empty();
    }

    /** Whether {@code key} is true in a check's data (false while the service does not answer). */
    public static boolean flag(int port, String key) throws InterruptedException {
        return value(port, key).asBoolean(false);
    }

    private static JsonNode value(int port, String key) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/live"))
                .timeout(Duration.ofSeconds(2)).build();
        try {
            JsonNode health = JSON.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode check : health.path("checks")) {
                JsonNode value = check.path("data").path(key);
                if (!value.isMissingNode()) {
                    return value;
                }
            }
            return MissingNode.getInstance();
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
