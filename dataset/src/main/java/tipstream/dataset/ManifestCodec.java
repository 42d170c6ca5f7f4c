package tipstream.dataset;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;
import tipstream.v1.DatasetManifest;

/** Manifests are stored as JSON next to their shards (readable, easy to hand to someone else), defined in proto/. */
public final class ManifestCodec {
    private ManifestCodec() {
    }

    public static byte[] toJson(DatasetManifest manifest) {
        try {
            return JsonFormat.printer().print(manifest).getBytes(StandardCharsets.UTF_8);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    public static DatasetManifest fromJson(byte[] json) throws InvalidProtocolBufferException {
        DatasetManifest.Builder builder = DatasetManifest.newBuilder();
        JsonFormat.parser().merge(new String(json, StandardCharsets.UTF_8), builder);
        return builder.build();
    }
}
