package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The tags are what TensorBoard and the followers of stored runs read: they outlive the code that wrote them. */
class MetricTagsTest {
    @Test
    void anEvaluationEndsWithTheTagItsFollowersWaitFor() {
        assertThat(MetricTags.EVALUATION).doesNotHaveDuplicates().startsWith("eval/frames").endsWith("presence/f1")
                .containsAll(MetricTags.SEED_METRICS).contains(MetricTags.LOSS, MetricTags.ROC_AUC);
        assertThat(MetricTags.EVALUATION_DONE).isEqualTo(MetricTags.EVALUATION.get(MetricTags.EVALUATION.size() - 1));
        assertThat(MetricTags.SEED_METRICS).containsExactly("metrics/dist_mean", "accuracy/point_mean",
                "accuracy/prob_mean", "accuracy/overall_mean");
        assertThat(MetricTags.FINAL_STEP).isEqualTo("optim/final_step");
    }
}
