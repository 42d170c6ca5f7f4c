package tipstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tipstream} command: the platform on this machine ({@code up}), your captures in
 * ({@code upload}, {@code import-cvat}), a training run ({@code train}), its metrics ({@code runs},
 * {@code tail}), the model ({@code predict}) and the services' health ({@code status}).
 */
@Command(name = "tipstream", mixinStandardHelpOptions = true, version = "tipstream 0.1.0",
        description = "Robot-arm captures in, a trained and evaluated tip localiser out.",
        subcommands = {UpCommand.class, UploadCommand.class, ImportCvatCommand.class, TrainCommand.class,
            RunsCommand.class, TailCommand.class, PredictCommand.class, StatusCommand.class})
public final class Tipstream implements Runnable {
    /** Held here: JUL keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    public static void main(String[] args) {
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING); // gRPC's start-up notes are not the user's business
        System.exit(run(args));
    }

    /** Runs one command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        return new CommandLine(new Tipstream()).setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println("tipstream: " + e.getMessage());
            return 1;
        }).execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
