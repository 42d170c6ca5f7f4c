package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.messages.Item;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.devstack.DevStack;
import tipstream.v1.MetricEvent;
import tipstream.v1.TensorBoardEvent;

class EventFileWriterTest {
    private static final String RUN = "r23/eval";
    private static final String PREFIX = "runs/r23/eval/";
    private static final String TAG = "accuracy/overall_mean";

    @Test
    void aReplacedValueIsRewrittenIntoTheOneFileTheRunAlreadyHas(@TempDir Path dir) throws Exception {
        // review R23: the file was named after the earliest event's wall time and rewritten only when the
        // event count changed, so a step 0 evaluated again left a second file and its new value was never written
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            MetricStore store = new MetricStore();
            store.add(event(0, 0.10, 1_000_000));
            store.add(event(100, 0.50, 2_000_000));
            EventFileWriter writer = new EventFileWriter(store, blobs, 15);
            writer.writeChanged();
            assertThat(files(blobs)).hasSize(1);
            String first = files(blobs).get(0);

            store.add(event(0, 0.20, 3_000_000)); // the same step again, later and different
            writer.writeChanged();
            assertThat(files(blobs)).containsExactly(first);
            assertThat(values(blobs, first)).isEqualTo(Map.of(0L, 0.20f, 100L, 0.50f));

            // a restarted eval writes on into the same file
            store.add(event(200, 0.70, 4_000_000));
            new EventFileWriter(store, blobs, 15).writeChanged();
            assertThat(files(blobs)).containsExactly(first);
            assertThat(values(blobs, first)).isEqualTo(Map.of(0L, 0.20f, 100L, 0.50f, 200L, 0.70f));
        }
    }

    @Test
    void aSecondFileLeftByAnEarlierVersionIsDeletedAndTheFirstKept(@TempDir Path dir) throws Exception {
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            MetricStore store = new MetricStore();
            store.add(event(0, 0.10, 1_000_000));
            blobs.put(EventFileWriter.key(RUN, 1_000_000), TfEventsFile.of(List.of(event(0, 0.10, 1_000_000)), 1_000_000),
                    "application/octet-stream");
            blobs.put(EventFileWriter.key(RUN, 3_000_000), TfEventsFile.of(List.of(event(0, 0.15, 3_000_000)), 3_000_000),
                    "application/octet-stream");
            store.add(event(0, 0.20, 3_000_000));

            new EventFileWriter(store, blobs, 15).writeChanged();

            assertThat(files(blobs)).containsExactly(EventFileWriter.key(RUN, 1_000_000));
            assertThat(values(blobs, EventFileWriter.key(RUN, 1_000_000))).isEqualTo(Map.of(0L, 0.20f));
        }
    }

    @Test
    void nothingIsWrittenWhenNothingChanged(@TempDir Path dir) throws Exception {
        try (DevStack stack = DevStack.start(DevStack.Settings.ephemeral(dir))) {
            BlobStore blobs = stack.blobStore();
            MetricStore store = new MetricStore();
            store.add(event(0, 0.10, 1_000_000));
            EventFileWriter writer = new EventFileWriter(store, blobs, 15);
            writer.writeChanged();
            String file = files(blobs).get(0);
            blobs.delete(file);
            writer.writeChanged();
            assertThat(files(blobs)).isEmpty();
        }
    }

    private static MetricEvent event(long step, double value, long wallTimeMs) {
        return MetricEvent.newBuilder().setRun(RUN).setTag(TAG).setStep(step).setValue(value).setWallTimeMs(wallTimeMs)
                .build();
    }

    private static List<String> files(BlobStore blobs) {
        return blobs.list(PREFIX).stream().map(Item::objectName).sorted().toList();
    }

    private static Map<Long, Float> values(BlobStore blobs, String key) throws Exception {
        return TfEventsFile.read(blobs.get(key)).stream().filter(TensorBoardEvent::hasSummary)
                .collect(Collectors.toMap(TensorBoardEvent::getStep, e -> e.getSummary().getValue(0).getSimpleValue()));
    }
}
