package tipstream.dataset;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import tipstream.v1.DeadLetter;

/**
 * A record that could not be used, kept whole with the reason on its topic's dead-letter topic
 * ({@code <topic>.dlq}). Consumers that re-read a topic from the beginning ask which source
 * positions are already there, so each bad record is dead-lettered once.
 */
public final class DeadLetters {
    private DeadLetters() {
    }

    public static ProducerRecord<String, byte[]> of(ConsumerRecord<String, byte[]> record, String reason,
            String service) {
        DeadLetter letter = DeadLetter.newBuilder().setSourceTopic(record.topic()).setPartition(record.partition())
                .setOffset(record.offset())
                .setKey(record.key() == null ? ByteString.EMPTY : ByteString.copyFromUtf8(record.key()))
                .setValue(record.value() == null ? ByteString.EMPTY : ByteString.copyFrom(record.value()))
                .setReason(reason).setService(service).setFailedAtMs(System.currentTimeMillis()).build();
        return new ProducerRecord<>(Topics.deadLetter(record.topic()), record.key(), letter.toByteArray());
    }

    /** "topic-partition@offset": a record's position, as {@link #positionsIn} reports it. */
    public static String position(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    public static String position(ConsumerRecord<?, ?> record) {
        return position(record.topic(), record.partition(), record.offset());
    }

    /** Source positions already on the dead-letter topics of these topics. */
    public static Set<String> positionsIn(String bootstrapServers, List<String> sourceTopics, String clientId)
            throws InvalidProtocolBufferException {
        Set<String> positions = new HashSet<>();
        for (ConsumerRecord<String, byte[]> record : TopicSnapshot.read(bootstrapServers,
                sourceTopics.stream().map(Topics::deadLetter).toList(), clientId)) {
            DeadLetter letter = DeadLetter.parseFrom(record.value());
            positions.add(position(letter.getSourceTopic(), letter.getPartition(), letter.getOffset()));
        }
        return positions;
    }
}
