package tipstream.dataset;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The S3 bucket that holds every blob (frames, shards, checkpoints, event files), through the
 * MinIO client. Keys are built by the callers from content hashes or deterministic names.
 */
public final class BlobStore {
    private final MinioClient client;
    private final String bucket;

    public BlobStore(S3Config config) {
        this.client = MinioClient.builder()
                .endpoint(config.endpoint())
                .credentials(config.accessKey(), config.secretKey())
                .region(config.region())
                .build();
        this.bucket = config.bucket();
    }

    /** Where the blobs live and how to reach them; credentials come from configuration. */
    public record S3Config(String endpoint, String accessKey, String secretKey, String bucket, String region) {
        public S3Config(String endpoint, String accessKey, String secretKey, String bucket) {
            this(endpoint, accessKey, secretKey, bucket, "us-east-1");
        }
    }

    public String bucket() {
        return bucket;
    }

    /** Creates the bucket when it does not exist yet. */
    public void ensureBucket() {
        call(() -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
            return null;
        });
    }

    /** True when the server answers and the bucket exists; for readiness checks. */
    public boolean isReachable() {
        try {
            return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
        } catch (Exception e) {
            return false;
        }
    }

    public boolean exists(String key) {
        return size(key).isPresent();
    }

    /** The object's size, or empty when there is no such object. */
    public Optional<Long> size(String key) {
        return call(() -> {
            try {
                return Optional.of(client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()).size());
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    public void put(String key, byte[] bytes, String contentType) {
        call(() -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                .contentType(contentType).build()));
    }

    /** Removes the object; removing one that is not there is no error. */
    public void delete(String key) {
        call(() -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return null;
        });
    }

    public byte[] get(String key) {
        return call(() -> {
            try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                return in.readAllBytes();
            }
        });
    }

    /** The object, or empty when there is no such object. */
    public Optional<byte[]> find(String key) {
        return call(() -> {
            try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                return Optional.of(in.readAllBytes());
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /** Keys and sizes of every object under a prefix, recursively. */
    public List<Item> list(String prefix) {
        return call(() -> {
            List<Item> items = new ArrayList<>();
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket)
                    .prefix(prefix).recursive(true).build())) {
                items.add(result.get());
            }
            return items;
        });
    }

    private static boolean isNotFound(ErrorResponseException e) {
        String code = e.errorResponse().code();
        return "NoSuchKey".equals(code) || "NoSuchObject".equals(code) || e.response().code() == 404;
    }

    private interface S3Call<T> {
        T run() throws Exception;
    }

    private <T> T call(S3Call<T> call) {
        try {
            return call.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new BlobStoreException("S3 request to bucket '" + bucket + "' failed: " + e.getMessage(), e);
        }
    }

    /** An S3 failure (server down, access denied, ...), as an unchecked exception with the cause. */
    public static class BlobStoreException extends RuntimeException {
        public BlobStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
