package tipstream.service;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

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

    private static final Logger LOG = Logger.getLogger(BearerTokenInterceptor.class);

    private final byte[] expected;
    private final boolean openBeyondLoopback;

    @Inject
    public BearerTokenInterceptor(AuthConfig config,
            @ConfigProperty(name = "quarkus.http.host", defaultValue = "0.0.0.0") String host) {
        this(config.token(), host);
    }

    /** An interceptor of a service on the loopback. */
    BearerTokenInterceptor(Optional<String> token) {
        this(token, "127.0.0.1");
    }

    private BearerTokenInterceptor(Optional<String> token, String host) {
        this.expected = token.filter(t -> !t.isBlank())
                .map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.openBeyondLoopback = openBeyondLoopback(token, host);
    }

    /** Says at start-up, in the log, when anyone who reaches the port may call every method (review R17). */
    void warnIfOpen(@Observes StartupEvent event) {
        if (openBeyondLoopback) {
            LOG.warn("tipstream.auth.token is not set and the service listens beyond this machine's loopback"
                    + " (quarkus.http.host): anyone who reaches its port can call every gRPC method; set a token");
        }
    }

    /** True when no token is set and {@code host}, where the service listens, is not the loopback interface. */
    static boolean openBeyondLoopback(Optional<String> token, String host) {
        return token.filter(t -> !t.isBlank()).isEmpty()
                && !List.of("127.0.0.1", "localhost", "::1", "[::1]").contains(host.trim());
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
