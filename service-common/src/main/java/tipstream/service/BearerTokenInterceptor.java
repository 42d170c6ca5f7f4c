package tipstream.service;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * When {@code tipstream.auth.token} is set, every call must carry it as "authorization: Bearer ...",
 * except the standard health check ({@code grpc.health.v1.Health}), which probes and load balancers
 * call without credentials and which tells nothing but "serving".
 */
@GlobalInterceptor
@ApplicationScoped
public class BearerTokenInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static final String HEALTH_SERVICE = "grpc.health.v1.Health";

    private final byte[] expected;

    @Inject
    public BearerTokenInterceptor(AuthConfig config) {
        this(config.token());
    }

    BearerTokenInterceptor(Optional<String> token) {
        this.expected = token.filter(t -> !t.isBlank())
                .map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (expected != null && !HEALTH_SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
            String given = headers.get(AUTHORIZATION);
            if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
                call.close(Status.UNAUTHENTICATED.withDescription("missing or wrong bearer token"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
        }
        return next.startCall(call, headers);
    }
}
