package tipstream.model;

import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up ND4J's CPU backend for speed before first use (STACK-NOTES): pick the oneDNN build of
 * the natives, switch DL4J's layer helpers on (they default off), and report whether oneDNN
 * is really used (the old-name lookup is answered by org.nd4j.nativeblas.Nd4jCpu).
 */
public final class NativeBackend {
    private static final Logger LOG = LoggerFactory.getLogger(NativeBackend.class);
    private static volatile boolean ready;

    private NativeBackend() {
    }

    public static synchronized void ensureReady() {
        if (ready) {
            return;
        }
        setIfAbsent("org.bytedeco.javacpp.platform.extension", "-onednn-avx2");
        setIfAbsent("org.eclipse.deeplearning4j.helpers.disable", "false");
        Nd4j.create(1); // loads the backend
        LOG.info("ND4J backend {} with oneDNN {}", Nd4j.getBackend().getClass().getSimpleName(),
                oneDnnInUse() ? "on" : "off");
        ready = true;
    }

    /** What DL4J's helpers will see when they ask whether oneDNN is on. */
    public static boolean oneDnnInUse() {
        try {
            return org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN();
        } catch (Throwable e) {
            return false; // another backend (CUDA) or an ND4J without the binding
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
