package tipstream.augment;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import tipstream.dataset.BlobStore;
import tipstream.dataset.ManifestCodec;
import tipstream.dataset.Topics;
import tipstream.v1.DatasetManifest;
import tipstream.v1.DeadLetter;
import tipstream.v1.FrameRef;
import tipstream.v1.ShardEntry;
import tipstream.v1.ShardReady;
import tipstream.v1.TipLabel;

/**
 * One pass of augment: reads {@code tipstream.frames} and {@code tipstream.labels} from the
 * beginning up to their current ends, joins every frame with its latest label (labels may come
 * before or after their frame, and be revised), and when the result differs from the latest
 * dataset version builds the next one with {@link DatasetAssembler}: shards, then the manifest,
 * then the {@code latest} pointer, then one ShardReady per shard. Everything it writes has a
 * deterministic name, so a pass repeated after a crash changes nothing. Records that cannot be
 * used go to their topic's dead-letter topic once, with the reason.
 */
public final class AugmentWorker {
    private final BlobStore blobs;
    private final Map<String, Object> consumerConfig;
    private final Producer<String, byte[]> producer;
    private final DatasetAssembler assembler;
    private final String dataset;

    public AugmentWorker(BlobStore blobs, String bootstrapServers, Producer<String, byte[]> producer,
            DatasetAssembler assembler, String dataset) {
        this.blobs = blobs;
        this.consumerConfig = Map.of("bootstrap.servers", bootstrapServers, "enable.auto.commit", false,
                "client.id", "augment");
        this.producer = producer;
        this.assembler = assembler;
        this.dataset = dataset;
    }

    /** What a pass did: the new version (if any), its shard count, and records dead-lettered. */
    public record Pass(Optional<String> version, int shards, int deadLettered) {
    }

    public Pass runOnce() throws Exception {
        Set<String> alreadyDead = deadLettered();
        Map<String, FrameRef> frames = new TreeMap<>();
        Map<String, TipLabel> labels = new HashMap<>();
        int dead = 0;
        for (ConsumerRecord<String, byte[]> record : readAll(List.of(Topics.FRAMES, Topics.LABELS))) {
            String reason;
            try {
                if (record.topic().equals(Topics.FRAMES)) {
                    FrameRef ref = FrameRef.parseFrom(record.value());
                    reason = ref.getBlobKey().isEmpty() ? "frame reference without blob key"
                            : blobs.exists(ref.getBlobKey()) ? null : "blob " + ref.getBlobKey() + " is missing";
                    if (reason == null) {
                        frames.put(ref.getCaptureId() + "/" + ref.getFrameName(), ref);
                    }
                } else {
                    TipLabel label = TipLabel.parseFrom(record.value());
                    reason = label.getFrameName().isEmpty() ? "label without frame name" : null;
                    if (reason == null) {
                        labels.merge(label.getCaptureId() + "/" + label.getFrameName(), label,
                                (a, b) -> b.getRevision() >= a.getRevision() ? b : a);
                    }
                }
            } catch (InvalidProtocolBufferException e) {
                reason = "undecodable record: " + e.getMessage();
            }
            if (reason != null && alreadyDead.add(id(record.topic(), record.partition(), record.offset()))) {
                deadLetter(record, reason);
                dead++;
            }
        }
        List<DatasetAssembler.LabelledFrame> labelled = new ArrayList<>();
        frames.forEach((key, frame) -> {
            TipLabel label = labels.get(key);
            if (label != null) {
                labelled.add(new DatasetAssembler.LabelledFrame(frame, label));
            }
        });
        if (labelled.isEmpty()) {
            return new Pass(Optional.empty(), 0, dead);
        }
        Optional<DatasetManifest> previous = latestManifest();
        Optional<DatasetAssembler.Build> build = assembler.assemble(labelled, blobs::get, previous);
        if (build.isEmpty()) {
            return new Pass(Optional.empty(), 0, dead);
        }
        DatasetManifest manifest = build.get().manifest();
        build.get().shards().forEach((key, bytes) -> blobs.put(key, bytes, "application/octet-stream"));
        String manifestKey = DatasetAssembler.manifestKey(dataset, manifest.getVersion());
        blobs.put(manifestKey, ManifestCodec.toJson(manifest), "application/json");
        blobs.put(latestKey(), manifest.getVersion().getBytes(StandardCharsets.UTF_8), "text/plain");
        for (ShardEntry shard : manifest.getShardsList()) {
            ShardReady ready = ShardReady.newBuilder().setDataset(dataset).setVersion(manifest.getVersion())
                    .setSplit(shard.getSplit()).setShardKey(shard.getKey()).setSampleCount(shard.getSampleCount())
                    .setSha256(shard.getSha256()).setManifestKey(manifestKey).build();
            producer.send(new ProducerRecord<>(Topics.SHARDS, dataset, ready.toByteArray())).get();
        }
        return new Pass(Optional.of(manifest.getVersion()), manifest.getShardsCount(), dead);
    }

    private String latestKey() {
        return "datasets/" + dataset + "/latest";
    }

    private Optional<DatasetManifest> latestManifest() throws InvalidProtocolBufferException {
        Optional<byte[]> latest = blobs.find(latestKey());
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        String version = new String(latest.get(), StandardCharsets.UTF_8).trim();
        return Optional.of(ManifestCodec.fromJson(blobs.get(DatasetAssembler.manifestKey(dataset, version))));
    }

    /** Source positions already in the dead-letter topics, so a repeated pass does not send them again. */
    private Set<String> deadLettered() throws Exception {
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<String, byte[]> record : readAll(
                List.of(Topics.deadLetter(Topics.FRAMES), Topics.deadLetter(Topics.LABELS)))) {
            DeadLetter letter = DeadLetter.parseFrom(record.value());
            ids.add(id(letter.getSourceTopic(), letter.getPartition(), letter.getOffset()));
        }
        return ids;
    }

    private static String id(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) throws Exception {
        DeadLetter letter = DeadLetter.newBuilder().setSourceTopic(record.topic()).setPartition(record.partition())
                .setOffset(record.offset())
                .setKey(record.key() == null ? ByteString.EMPTY : ByteString.copyFromUtf8(record.key()))
                .setValue(record.value() == null ? ByteString.EMPTY : ByteString.copyFrom(record.value()))
                .setReason(reason).setService("augment-service").setFailedAtMs(System.currentTimeMillis()).build();
        producer.send(new ProducerRecord<>(Topics.deadLetter(record.topic()), record.key(), letter.toByteArray())).get();
    }

    /** Every record of the topics from the beginning up to their ends at the time of the call. */
    private List<ConsumerRecord<String, byte[]>> readAll(List<String> topics) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        records.add(record);
                    }
                }
            }
        }
        return records;
    }
}
