package tipstream.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.devstack.DevStack;
import tipstream.devstack.LocalPlatform;
import tipstream.devstack.PipelineServices;

/** The platform on this machine, waiting for your data: Kafka, S3, ingest, augment and eval. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded Kafka and S3 and the services, no simulation; Ctrl-C stops them.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = "${sys:tipstream.home:-.}/.devstack", description = "where Kafka, S3 and logs keep their data")
    Path dataDir;

    @Option(names = "--project-dir", defaultValue = "${sys:tipstream.home:-.}", description = "the project checkout (for the service jars)")
    Path projectDir;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(dataDir);
        System.out.println("starting Kafka and S3 (data in " + dataDir.toAbsolutePath() + ")...");
        DevStack stack = DevStack.start(DevStack.Settings.standard(dataDir));
        PipelineServices services;
        try {
            System.out.println("starting ingest, augment and eval...");
            services = PipelineServices.start(stack, projectDir, dataDir.resolve("logs"), LocalPlatform.services(),
                    Duration.ofMinutes(3));
        } catch (Exception e) {
            stack.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nstopping the services, then Kafka and S3; the data stays in " + dataDir.toAbsolutePath());
            services.close();
            stack.close();
            stopped.countDown();
        }, "tipstream-down"));
        System.out.printf("""

                tipstream is up (Ctrl-C stops it):
                  ingest   gRPC 127.0.0.1:%d    (upload, import-cvat)
                  augment  http://127.0.0.1:%d/q/health
                  eval     gRPC 127.0.0.1:%d    (runs, tail, predict)
                  Kafka    %s
                  S3       %s  bucket '%s'
                  logs     %s
                next, in another terminal:
                  ./tipstream upload FOLDER|ARCHIVE|VIDEO...
                  ./tipstream import-cvat EXPORT.zip
                  ./tipstream train --steps 2400
                  ./tipstream tail RUN
                  ./tipstream predict IMAGE.png --draw out.png
                """, LocalPlatform.INGEST_PORT, LocalPlatform.AUGMENT_PORT, LocalPlatform.EVAL_PORT,
                stack.kafkaBootstrapServers(), stack.s3Endpoint(), stack.settings().bucket(),
                dataDir.resolve("logs").toAbsolutePath());
        while (!stopped.await(5, java.util.concurrent.TimeUnit.SECONDS)) {
            services.requireAlive();
        }
        return 0;
    }
}
