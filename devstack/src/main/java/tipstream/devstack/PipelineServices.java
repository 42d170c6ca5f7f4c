package tipstream.devstack;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The four tipstream services (built Quarkus apps of a checkout) as child JVMs on one stack:
 * started side by side, each told where Kafka and S3 are plus its own settings, ready when all
 * readiness endpoints answer. Closing stops them in reverse order of the pipeline.
 */
public final class PipelineServices implements AutoCloseable {
    /** A service (a replica's own name), its module's folder, HTTP/gRPC port, heap and extra configuration. */
    public record Service(String name, String module, int port, String maxHeap, Map<String, String> config) {
        /** The only replica of a module: named as its folder. */
        public Service(String name, int port, String maxHeap, Map<String, String> config) {
            this(name, name, port, maxHeap, config);
        }

        /** Another replica of the same module, with its own name and port. */
        public Service replica(String replicaName, int replicaPort) {
            return new Service(replicaName, module, replicaPort, maxHeap, config);
        }
    }

    private final List<ServiceProcess> processes;
    private final Map<String, ServiceProcess> byName = new LinkedHashMap<>();

    private PipelineServices(List<ServiceProcess> processes, List<Service> services) {
        this.processes = processes;
        for (int i = 0; i < processes.size(); i++) {
            byName.put(services.get(i).name(), processes.get(i));
        }
    }

    public static PipelineServices start(DevStack stack, Path projectDir, Path logDir, List<Service> services,
            Duration readyWithin) throws IOException, InterruptedException {
        return start(stack.serviceConfig(), projectDir, logDir, services, readyWithin);
    }

    /** As above, for a stack this process did not start: {@code stackConfig} says where it is. */
    public static PipelineServices start(Map<String, String> stackConfig, Path projectDir, Path logDir,
            List<Service> services, Duration readyWithin) throws IOException, InterruptedException {
        List<ServiceProcess> started = new ArrayList<>();
        try {
            for (Service service : services) {
                Map<String, String> config = new LinkedHashMap<>(stackConfig);
                config.putAll(service.config());
                started.add(ServiceProcess.start(service.name(), ServiceProcess.runJar(projectDir, service.module()),
                        config, service.port(), logDir.resolve(service.name() + ".log"), service.maxHeap()));
            }
            for (ServiceProcess process : started) {
                process.awaitReady(readyWithin);
            }
            return new PipelineServices(started, services);
        } catch (IOException | InterruptedException | RuntimeException e) {
            started.forEach(ServiceProcess::close);
            throw e;
        }
    }

    public ServiceProcess get(String name) {
        ServiceProcess process = byName.get(name);
        if (process == null) {
            throw new IllegalArgumentException("no service " + name);
        }
        return process;
    }

    public List<ServiceProcess> processes() {
        return List.copyOf(processes);
    }

    /** Throws with the log tail of the first service that has died. */
    public void requireAlive() {
        processes.forEach(p -> p.jvm().requireAlive());
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
    }
}
