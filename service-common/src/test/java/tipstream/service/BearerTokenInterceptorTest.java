package tipstream.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import grpc.health.v1.HealthGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tipstream.v1.CvatImport;
import tipstream.v1.ImportSummary;
import tipstream.v1.IngestGrpc;

/** The interceptor in front of a real (in-process) gRPC server. */
class BearerTokenInterceptorTest {

    private static ImportSummary call(Optional<String> configured, String sentHeader) throws Exception {
        String name = InProcessServerBuilder.generateName();
        IngestGrpc.IngestImplBase service = new IngestGrpc.IngestImplBase() {
            @Override
            public void importCvat(CvatImport request, StreamObserver<ImportSummary> responses) {
                responses.onNext(ImportSummary.newBuilder().setLabelsPublished(1).build());
                responses.onCompleted();
            }
        };
        Server server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(service, new BearerTokenInterceptor(configured))).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            IngestGrpc.IngestBlockingStub stub = IngestGrpc.newBlockingStub(channel);
            if (sentHeader != null) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), sentHeader);
                stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
            }
            return stub.importCvat(CvatImport.getDefaultInstance());
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }

    @Test
    void aServiceWithoutATokenIsOpenOnlyWhenItListensBeyondTheLoopback() {
        assertThat(BearerTokenInterceptor.openBeyondLoopback(Optional.empty(), "0.0.0.0")).isTrue();
        assertThat(BearerTokenInterceptor.openBeyondLoopback(Optional.of(" "), "10.0.0.7")).isTrue();
        assertThat(BearerTokenInterceptor.openBeyondLoopback(Optional.empty(), "127.0.0.1")).isFalse();
        assertThat(BearerTokenInterceptor.openBeyondLoopback(Optional.empty(), "localhost")).isFalse();
        assertThat(BearerTokenInterceptor.openBeyondLoopback(Optional.of("s3cret"), "0.0.0.0")).isFalse();
    }

    @Test
    void withoutAConfiguredTokenEveryCallPasses() throws Exception {
        assertThat(call(Optional.empty(), null).getLabelsPublished()).isEqualTo(1);
        assertThat(call(Optional.of(""), null).getLabelsPublished()).isEqualTo(1);
    }

    @Test
    void withATokenOnlyTheRightBearerPasses() throws Exception {
        assertThat(call(Optional.of("s3cret"), "Bearer s3cret").getLabelsPublished()).isEqualTo(1);
        for (String wrong : new String[] {null, "Bearer wrong", "s3cret", "Bearer s3cret2", "Basic s3cret"}) {
            assertThatThrownBy(() -> call(Optional.of("s3cret"), wrong)).as(String.valueOf(wrong))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        }
    }

    @Test
    void theStandardHealthCheckNeedsNoToken() throws Exception {
        String name = InProcessServerBuilder.generateName();
        HealthGrpc.HealthImplBase health = new HealthGrpc.HealthImplBase() {
            @Override
            public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> responses) {
                responses.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING)
                        .build());
                responses.onCompleted();
            }
        };
        Server server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(health, new BearerTokenInterceptor(Optional.of("s3cret"))))
                .build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }
}
