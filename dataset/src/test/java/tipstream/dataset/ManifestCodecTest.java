package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tipstream.v1.DatasetManifest;
import tipstream.v1.ShardEntry;

class ManifestCodecTest {
    @Test
    void jsonRoundTripAndReadableFieldNames() throws Exception {
        DatasetManifest manifest = DatasetManifest.newBuilder().setDataset("lab").setVersion("1.2.0")
                .setInputWidth(264).setInputHeight(203).setFrameWidth(528).setFrameHeight(406)
                .setSplitRule(new CaptureSplit(20, "v1").describe()).setCodeVersion("v0.1-3-gabc")
                .addShards(ShardEntry.newBuilder().setKey("datasets/lab/1.2.0/train/shard-00000.tshard")
                        .setSplit("train").setSampleCount(1000).setSha256("ab12"))
                .build();
        byte[] json = ManifestCodec.toJson(manifest);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"sampleCount\": 1000").contains("\"version\": \"1.2.0\"");
        assertThat(ManifestCodec.fromJson(json)).isEqualTo(manifest);
        assertThatThrownBy(() -> ManifestCodec.fromJson("{\"dataset\": ".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class);
    }
}
