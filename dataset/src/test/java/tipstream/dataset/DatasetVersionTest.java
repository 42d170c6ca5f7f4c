package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatasetVersionTest {
    @Test
    void bumpsFollowSemanticVersioning() {
        DatasetVersion v = DatasetVersion.parse("1.4.2");
        assertThat(v.labelsCorrected()).hasToString("1.4.3");
        assertThat(v.capturesAdded()).hasToString("1.5.0");
        assertThat(v.representationChanged()).hasToString("2.0.0");
        // a running trainer follows new captures and corrected labels, never a new representation
        assertThat(v.sameRepresentationAs(v.labelsCorrected())).isTrue();
        assertThat(v.sameRepresentationAs(v.capturesAdded())).isTrue();
        assertThat(v.sameRepresentationAs(v.representationChanged())).isFalse();
    }

    @Test
    void ordersNumericallyNotAsText() {
        assertThat(DatasetVersion.parse("1.10.0")).isGreaterThan(DatasetVersion.parse("1.9.9"));
        assertThat(DatasetVersion.parse("2.0.0")).isGreaterThan(DatasetVersion.parse("1.99.99"));
    }

    @Test
    void refusesWhatIsNotAVersion() {
        for (String bad : new String[] {"", "1.2", "1.2.3.4", "v1.2.3", "1.2.x", "../1.2.3", null}) {
            assertThatThrownBy(() -> DatasetVersion.parse(bad)).as(String.valueOf(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
