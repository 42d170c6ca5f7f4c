package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.messages.Item;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tipstream.dataset.BlobStore;
import tipstream.dataset.ObjectKeys;
import tipstream.devstack.DevStack;
import tipstream.v1.MetricEvent;
import tipstream.v1.TensorBoardEvent;

class EventFileWriterTest {
    private static final String TAG = "accuracy/overall_mean";
    @TempDir
    static Path dir;
    private static DevStack stack;
    private static BlobStore blobs;
    /** Each test's own run, so that they share one S3. */
    private String run;

    @BeforeAll
    static void start() throws Exception {
        stack = DevStack.start(DevStack.Settings.ephemeral(dir));
        blobs = stack.blobStore();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @BeforeEach
    void newRun() {
        run = "r23-" + UUID.randomUUID() + "/eval";
    }

    @Test
    void aReplacedValueIsRewrittenIntoTheOneFileTheRunAlreadyHas() throws Exception {
        // review R23: the file was named after the earliest event's wall time and rewritten only when the
        // event count changed, so a step 0 evaluated again left a second file and its new value was never written
        MetricStore store = new MetricStore();
        store.add(event(0, 0.10, 1_000_000));
        store.add(event(100, 0.50, 2_000_000));
        EventFileWriter writer = new EventFileWriter(store, blobs, 15);
        writer.writeChanged();
        assertThat(files()).hasSize(1);
        String first = files().get(0);

        store.add(event(0, 0.20, 3_000_000)); // the same step again, later and different
        writer.writeChanged();
        assertThat(files()).containsExactly(first);
        assertThat(values(first)).isEqualTo(Map.of(0L, 0.20f, 100L, 0.50f));

        // a restarted eval writes on into the same file
        store.add(event(200, 0.70, 4_000_000));
        new EventFileWriter(store, blobs, 15).writeChanged();
        assertThat(files()).containsExactly(first);
        assertThat(values(first)).isEqualTo(Map.of(0L, 0.20f, 100L, 0.50f, 200L, 0.70f));
    }

    @Test
    void aSecondFileLeftByAnEarlierVersionIsDeletedAndTheFirstKept() throws Exception {
        MetricStore store = new MetricStore();
        store.add(event(0, 0.10, 1_000_000));
        blobs.put(EventFileWriter.key(run, 1_000_000), TfEventsFile.of(List.of(event(0, 0.10, 1_000_000)), 1_000_000),
                "application/octet-stream");
        blobs.put(EventFileWriter.key(run, 3_000_000), TfEventsFile.of(List.of(event(0, 0.15, 3_000_000)), 3_000_000),
                "application/octet-stream");
        store.add(event(0, 0.20, 3_000_000));

        new EventFileWriter(store, blobs, 15).writeChanged();

        assertThat(files()).containsExactly(EventFileWriter.key(run, 1_000_000));
        assertThat(values(EventFileWriter.key(run, 1_000_000))).isEqualTo(Map.of(0L, 0.20f));
    }

    @Test
    void nothingIsWrittenWhenNothingChanged() throws Exception {
        MetricStore store = new MetricStore();
        store.add(event(0, 0.10, 1_000_000));
        EventFileWriter writer = new EventFileWriter(store, blobs, 15);
        writer.writeChanged();
        String file = files().get(0);
        blobs.delete(file);
        writer.writeChanged();
        assertThat(files()).isEmpty();
    }

    private MetricEvent event(long step, double value, long wallTimeMs) {
        return MetricEvent.newBuilder().setRun(run).setTag(TAG).setStep(step).setValue(value).setWallTimeMs(wallTimeMs)
                .build();
    }

    private List<String> files() {
        return blobs.list(ObjectKeys.eventFiles(run)).stream().map(Item::objectName).sorted().toList();
    }

    private static Map<Long, Float> values(String key) throws Exception {
        return TfEventsFile.read(blobs.get(key)).stream().filter(TensorBoardEvent::hasSummary)
                .collect(Collectors.toMap(TensorBoardEvent::getStep, e -> e.getSummary().getValue(0).getSimpleValue()));
    }
}
