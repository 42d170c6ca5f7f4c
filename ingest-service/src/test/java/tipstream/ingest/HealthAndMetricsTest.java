package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import tipstream.devstack.DevStackResource;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class HealthAndMetricsTest {
    private static HttpResponse<String> get(String path) throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessReportsKafkaAndS3() throws Exception {
        HttpResponse<String> ready = get("/q/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"s3\"").contains("Kafka").contains("\"UP\"");
        assertThat(get("/q/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsAreScrapedInPrometheusFormat() throws Exception {
        HttpResponse<String> metrics = get("/q/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("tipstream_ingest_frames_total").contains("jvm_memory_used_bytes");
    }
}
