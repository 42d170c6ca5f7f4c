package tipstream.trainer;

/** Where the loader gets a shard's bytes: S3 in the service, anything in a test. */
@FunctionalInterface
public interface ShardSource {
    byte[] fetch(String key) throws Exception;
}
