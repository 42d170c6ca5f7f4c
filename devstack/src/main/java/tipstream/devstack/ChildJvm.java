package tipstream.devstack;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server running in a child JVM (Kafka broker, S3 server, a service), with its output in a log
 * file: a child whose pipe nobody reads blocks once the pipe fills (STACK-NOTES). Its stdin stays
 * a pipe to this process, which {@link ChildMain} watches, so the child dies with its parent.
 */
public final class ChildJvm implements AutoCloseable {
    private static final Path SHELL = Paths.get("/bin/sh");
    private static final Path NICE = Paths.get("/usr/bin/nice");
    private final String name;
    private final Process process;
    private final Path logFile;

    private ChildJvm(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts {@code mainClass} under {@link ChildMain}, with {@code environment} added to this
     * process's. The classpath gets this module's own classes appended, so ChildMain is always found.
     */
    public static ChildJvm start(String name, String classpath, List<String> jvmOptions, String mainClass,
            List<String> args, Map<String, String> environment, Path logFile) throws IOException {
        return start(name, classpath, jvmOptions, mainClass, args, environment, 0, logFile);
    }

    /**
     * {@link #start(String, String, List, String, List, Map, Path)} at a lower CPU priority: every
     * thread of the child runs at {@code niceness} (0: as this process; where {@code nice} exists).
     */
    public static ChildJvm start(String name, String classpath, List<String> jvmOptions, String mainClass,
            List<String> args, Map<String, String> environment, int niceness, Path logFile) throws IOException {
        Files.createDirectories(logFile.getParent());
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SHELL)) {
            // The terminal's Ctrl-C goes to the whole process group; the child ignores it (a JVM
            // keeps an inherited SIG_IGN) so that the parent can stop the services before Kafka
            // and S3, in order, instead of all of them dying at once.
            command.addAll(List.of(SHELL.toString(), "-c", "trap '' INT; exec \"$0\" \"$@\""));
        }
        if (niceness != 0 && Files.isExecutable(NICE)) {
            command.addAll(List.of(NICE.toString(), "-n", Integer.toString(niceness)));
        }
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath + File.pathSeparator + ownCodeLocation());
        command.add(ChildMain.class.getName());
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        return new ChildJvm(name, process, logFile);
    }

    static String ownCodeLocation() {
        try {
            return Paths.get(ChildMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate devstack's own classes", e);
        }
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Fails with the log's tail when the child has already died, e.g. during startup. */
    public void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; last lines of "
                    + logFile + ":\n" + tail(40));
        }
    }

    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Asks the child to stop (its shutdown hooks run), and kills it if it does not within 20 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
