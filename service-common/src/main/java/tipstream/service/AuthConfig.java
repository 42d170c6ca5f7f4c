package tipstream.service;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** {@code tipstream.auth.*}: when a token is set, every gRPC call must carry it as a bearer token. */
@ConfigMapping(prefix = "tipstream.auth")
public interface AuthConfig {
    Optional<String> token();
}
