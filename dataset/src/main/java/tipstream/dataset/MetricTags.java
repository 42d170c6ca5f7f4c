package tipstream.dataset;

import java.util.List;

/**
 * The tags of the metric events on {@code tipstream.metrics} (TensorBoard's scalar names): the one
 * home of what the trainer and eval publish and what the run's followers read (the one-command run,
 * {@code tipstream train}, the metrics watch), as {@link Topics} is of the topics.
 */
public final class MetricTags {
    /** The seed project's four metrics (BACKGROUND.md), as {@code tipstream.model.TipMetrics} computes them. */
    public static final String DIST_MEAN = "metrics/dist_mean";
    public static final String POINT_MEAN = "accuracy/point_mean";
    public static final String PROB_MEAN = "accuracy/prob_mean";
    public static final String OVERALL_MEAN = "accuracy/overall_mean";
    public static final List<String> SEED_METRICS = List.of(DIST_MEAN, POINT_MEAN, PROB_MEAN, OVERALL_MEAN);

    public static final String LOSS = "metrics/loss";
    public static final String REFINER_LOSS = "metrics/refiner_loss";
    public static final String LEARNING_RATE = "optim/learning_rate";
    /** Where a run ends: its last checkpoint's step, planned again at each checkpoint when the run has a time limit. */
    public static final String FINAL_STEP = "optim/final_step";

    /** How many frames an evaluation scored: two steps with the same count were scored on the same eval set. */
    public static final String EVAL_FRAMES = "eval/frames";
    public static final String PRESENCE_THRESHOLD = "presence/threshold";
    public static final String ROC_AUC = "presence/roc_auc";
    public static final String AVERAGE_PRECISION = "presence/average_precision";
    public static final String DIST_MEDIAN = "localisation/dist_median";
    public static final String WITHIN_10PX = "localisation/within_10px";
    public static final String PRECISION = "presence/precision";
    public static final String RECALL = "presence/recall";
    public static final String F1 = "presence/f1";
    /** An evaluation's image summary of its worst frames (a TensorBoard image, in the event files only). */
    public static final String WORST_FRAMES = "eval/worst_frames";

    /**
     * An evaluation's scalars in the order eval publishes them: {@link #EVAL_FRAMES} first, and
     * {@link #EVALUATION_DONE} last, so that a follower that has it has the whole evaluation.
     */
    public static final List<String> EVALUATION = List.of(EVAL_FRAMES, DIST_MEAN, POINT_MEAN, PROB_MEAN, OVERALL_MEAN,
            LOSS, PRESENCE_THRESHOLD, ROC_AUC, AVERAGE_PRECISION, DIST_MEDIAN, WITHIN_10PX, PRECISION, RECALL, F1);
    /** The last event of every evaluation. */
    public static final String EVALUATION_DONE = F1;

    private MetricTags() {
    }
}
