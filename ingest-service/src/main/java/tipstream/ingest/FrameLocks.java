package tipstream.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantLock;
import tipstream.dataset.FrameName;

/**
 * Serialises work on one frame, so two uploads of the same frame (or an upload and a CVAT import)
 * cannot both see it as new. Striped: a fixed set of locks, picked by the frame's hash.
 */
@ApplicationScoped
public class FrameLocks {
    private final ReentrantLock[] stripes = new ReentrantLock[256];

    public FrameLocks() {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    public <T> T withLock(FrameName frame, Callable<T> work) throws Exception {
        ReentrantLock lock = stripes[Math.floorMod((frame.captureId() + "/" + frame.name()).hashCode(), stripes.length)];
        lock.lock();
        try {
            return work.call();
        } finally {
            lock.unlock();
        }
    }
}
