package tipstream.cli;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import picocli.CommandLine.Option;
import tipstream.capturesim.RigClient;
import tipstream.devstack.LocalPlatform;

/** Where the platform is: the embedded one on this machine by default, or any deployment. */
public final class Target {
    @Option(names = "--target", defaultValue = "127.0.0.1", description = "host of the deployment (default: this machine)")
    String host;

    @Option(names = "--ingest-port", defaultValue = "" + LocalPlatform.INGEST_PORT, description = "ingest's gRPC port")
    int ingestPort;

    @Option(names = "--eval-port", defaultValue = "" + LocalPlatform.EVAL_PORT, description = "eval's gRPC port")
    int evalPort;

    @Option(names = "--token", defaultValue = "${env:TIPSTREAM_TOKEN}",
            description = "bearer token of the deployment (default: $TIPSTREAM_TOKEN)")
    String token;

    /** Ingest, as a rig talks to it (uploads re-sent on transient failures). */
    RigClient ingest() {
        return new RigClient(host, ingestPort, "tipstream-cli", token);
    }

    ManagedChannel eval() {
        return ManagedChannelBuilder.forAddress(host, evalPort).usePlaintext().maxInboundMessageSize(64 << 20).build();
    }

    ManagedChannel ingestChannel() {
        return ManagedChannelBuilder.forAddress(host, ingestPort).usePlaintext().build();
    }

    /** The token as call credentials, or null without one. */
    CallCredentials credentials() {
        return token == null || token.isBlank() ? null : RigClient.bearer(token);
    }
}
