package tipstream.devstack;

import java.io.PrintStream;

/**
 * Runs in the broker's child JVM: formats the log directory (a no-op when already formatted, so
 * data survives restarts) and starts a combined broker and controller in KRaft mode, the two
 * steps the official scripts take. Arguments: server.properties path, cluster id.
 */
public final class KafkaBrokerMain {
    private KafkaBrokerMain() {
    }

    public static void main(String[] args) {
        String config = args[0];
        String clusterId = args[1];
        int formatted = kafka.tools.StorageTool.execute(
                new String[] {"format", "--cluster-id=" + clusterId, "--config=" + config, "--ignore-formatted"}, new PrintStream(System.out));
        if (formatted != 0) {
            System.err.println("kafka storage format failed with code " + formatted);
            System.exit(formatted);
        }
        kafka.Kafka.main(new String[] {config});
    }
}
