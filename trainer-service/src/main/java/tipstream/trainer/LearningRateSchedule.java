package tipstream.trainer;

/**
 * Linear warm-up from zero to the peak rate over the first steps, then a cosine decay to the
 * floor at the last step (and the floor after it). Step numbers count from 1, like the run's.
 */
public record LearningRateSchedule(double peak, double floor, long warmupSteps, long totalSteps) {

    public LearningRateSchedule {
        if (!(peak > 0) || floor < 0 || floor > peak || warmupSteps < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("bad schedule: peak " + peak + ", floor " + floor + ", warm-up "
                    + warmupSteps + ", total " + totalSteps);
        }
    }

    /** A constant rate. */
    public static LearningRateSchedule constant(double rate) {
        return new LearningRateSchedule(rate, rate, 0, 1);
    }

    /** The same rates, the decay ending at {@code lastStep} instead (a run's time limit planned it). */
    public LearningRateSchedule endingAt(long lastStep) {
        return new LearningRateSchedule(peak, floor, Math.min(warmupSteps, Math.max(0, lastStep - 1)),
                Math.max(1, lastStep));
    }

    public double at(long step) {
        if (warmupSteps > 0 && step <= warmupSteps) {
            return peak * step / warmupSteps;
        }
        if (step >= totalSteps) {
            return floor;
        }
        double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
