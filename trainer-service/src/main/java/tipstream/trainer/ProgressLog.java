package tipstream.trainer;

import org.jboss.logging.Logger;

/**
 * One log line every ten seconds of training: step, loss, learning rate, images per second and
 * the share of the time the steps waited for data since the last line.
 */
final class ProgressLog {
    private static final Logger LOG = Logger.getLogger("tipstream.trainer.progress");
    private static final long EVERY_NANOS = 10_000_000_000L;

    private final TrainingRun run;
    private final int batchSize;
    private long lastNanos = System.nanoTime();
    private long lastStep;
    private double lastWait;

    ProgressLog(TrainingRun run, int batchSize) {
        this.run = run;
        this.batchSize = batchSize;
        this.lastStep = run.step();
        this.lastWait = run.dataWaitSeconds();
    }

    void afterStep() {
        long now = System.nanoTime();
        if (now - lastNanos < EVERY_NANOS && run.step() < run.finalStep()) {
            return;
        }
        double seconds = (now - lastNanos) / 1e9;
        double wait = run.dataWaitSeconds() - lastWait;
        LOG.infof("step %d/%d  loss %.4f  lr %.2e  %.1f images/s  data wait %.1f%%", run.step(), run.finalStep(),
                run.lastLoss(), run.lastLearningRate(), (run.step() - lastStep) * batchSize / seconds,
                100 * wait / seconds);
        lastNanos = now;
        lastStep = run.step();
        lastWait = run.dataWaitSeconds();
    }
}
