package tipstream.devstack;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/** How many records each topic holds (end minus start offsets over its partitions). */
public final class TopicCounts {
    private TopicCounts() {
    }

    public static Map<String, Long> count(String bootstrapServers, List<String> topics)
            throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new LinkedHashMap<>();
            var descriptions = admin.describeTopics(topics).allTopicNames().get();
            descriptions.forEach((topic, description) -> description.partitions().forEach(p -> {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
            }));
            var ends = admin.listOffsets(latest).all().get();
            var starts = admin.listOffsets(earliest).all().get();
            Map<String, Long> counts = new LinkedHashMap<>();
            topics.forEach(t -> counts.put(t, 0L));
            ends.forEach((tp, end) -> counts.merge(tp.topic(), end.offset() - starts.get(tp).offset(), Long::sum));
            return counts;
        }
    }
}
