package tipstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;

/** Review R15: CVAT imports, each holding its export of up to 32 MiB and a parse of it, were taken without limit. */
class CvatImportLimitTest {
    private static final CvatImport EXPORT = CvatImport.newBuilder().setSourceName("task.xml").build();

    @Test
    void importsBeyondTheLimitAreToldToSendAgainAndOneIsTakenWhenAnotherEnds() throws Exception {
        CountDownLatch started = new CountDownLatch(2);
        CountDownLatch finish = new CountDownLatch(1);
        CvatImporter slow = new CvatImporter(null, null, null, null, null, null) {
            @Override
            public ImportSummary importExport(Request request) throws Exception {
                started.countDown();
                finish.await();
                return ImportSummary.newBuilder().setLabelsPublished(1).build();
            }
        };
        IngestGrpcService service = new IngestGrpcService(null, slow, config(2), new SimpleMeterRegistry());
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            List<CompletableFuture<ImportSummary>> taken = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                CompletableFuture<ImportSummary> result = new CompletableFuture<>();
                callers.execute(() -> service.importCvat(EXPORT, IngestTestSupport.observer(result)));
                taken.add(result);
            }
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<ImportSummary> third = new CompletableFuture<>();
            service.importCvat(EXPORT, IngestTestSupport.observer(third));
            assertThatThrownBy(() -> third.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .satisfies(e -> {
                        Status status = Status.fromThrowable(e.getCause());
                        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(status.getDescription()).contains("2 CVAT imports at once", "send the export again");
                    });

            finish.countDown();
            for (CompletableFuture<ImportSummary> result : taken) {
                assertThat(result.get(10, TimeUnit.SECONDS).getLabelsPublished()).isEqualTo(1);
            }
            CompletableFuture<ImportSummary> again = new CompletableFuture<>();
            service.importCvat(EXPORT, IngestTestSupport.observer(again));
            assertThat(again.get(10, TimeUnit.SECONDS).getLabelsPublished()).isEqualTo(1);
        } finally {
            finish.countDown();
            callers.shutdownNow();
            service.stop();
        }
    }

    private static IngestConfig config(int imports) {
        return new IngestConfig() {
            @Override
            public Frame frame() {
                return null;
            }

            @Override
            public Cvat cvat() {
                return new Cvat() {
                    @Override
                    public int maxBytes() {
                        return 1 << 20;
                    }

                    @Override
                    public int maxConcurrent() {
                        return imports;
                    }
                };
            }

            @Override
            public Upload upload() {
                return () -> 8;
            }
        };
    }
}
