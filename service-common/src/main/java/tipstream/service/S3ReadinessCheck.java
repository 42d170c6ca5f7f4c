package tipstream.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import tipstream.dataset.BlobStore;

/** Ready only while the S3 server answers and the bucket exists (Kafka has Quarkus's own check). */
@Readiness
@ApplicationScoped
public class S3ReadinessCheck implements HealthCheck {
    private final BlobStore blobs;

    public S3ReadinessCheck(BlobStore blobs) {
        this.blobs = blobs;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("s3").status(blobs.isReachable()).withData("bucket", blobs.bucket()).build();
    }
}
