package tipstream.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of every child JVM that devstack starts: runs the real main class, and exits when
 * the parent goes away. The parent holds the child's stdin open; when the parent exits for any
 * reason (even kill -9) the pipe closes, the read below sees end-of-file, and the child shuts
 * down through its shutdown hooks. So no broker or S3 server outlives the run that started it.
 */
public final class ChildMain {
    private ChildMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ChildMain <main-class> [args...]");
            System.exit(2);
        }
        Thread watchdog = new Thread(ChildMain::exitWhenParentGone, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    }

    private static void exitWhenParentGone() {
        try (InputStream in = System.in) {
            while (in.read() != -1) {
                // the parent never writes; reading only waits for end-of-file
            }
        } catch (IOException e) {
            // a broken pipe means the same as end-of-file
        }
        System.err.println("devstack: parent process gone, shutting down");
        System.exit(0);
    }
}
