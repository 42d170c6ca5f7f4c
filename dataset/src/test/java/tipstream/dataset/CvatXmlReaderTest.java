package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tipstream.dataset.CvatXmlReader.CvatImage;
import tipstream.dataset.CvatXmlReader.InvalidCvatException;

class CvatXmlReaderTest {
    /** The export quoted in BACKGROUND.md, plus one listed image without a box. */
    static final String BACKGROUND_EXAMPLE = """
            <?xml version="1.0" encoding="utf-8"?><annotations><meta><!-- omitted --></meta>
            <image id="0" name="20180727-OG3_04_45-camL0000.png" width="528" height="406">
              <box label="1," xtl="331.86" ytl="353.18" xbr="348.68" ybr="369.50" occluded="0" id="985"></box>
            </image>
            <image id="8443" name="Image_IMU_20180914-20180914_152038-camR0090.png" width="528" height="406">
              <box label="1," xtl="286.40" ytl="405.56" xbr="308.66" ybr="406.00" occluded="0" id="896"></box>
            </image>
            <image id="8444" name="Image_IMU_20180914-20180914_152038-camR0091.png" width="528" height="406">
            </image></annotations>
            """;

    private final CvatXmlReader reader = new CvatXmlReader(1 << 20);

    private List<CvatImage> read(String xml) throws InvalidCvatException {
        return reader.read(xml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void tipIsTheBoxCentre() throws Exception {
        List<CvatImage> images = read(BACKGROUND_EXAMPLE);
        assertThat(images).hasSize(3);
        CvatImage first = images.get(0);
        assertThat(first.name()).isEqualTo("20180727-OG3_04_45-camL0000.png");
        assertThat(first.width()).isEqualTo(528);
        assertThat(first.height()).isEqualTo(406);
        assertThat(first.tip()).isPresent();
        assertThat(first.tip().get().x()).isCloseTo(340.27, within(1e-9));
        assertThat(first.tip().get().y()).isCloseTo(361.34, within(1e-9));
        assertThat(first.tip().get().clipped()).isFalse();
    }

    @Test
    void boxClippedAtTheBorderIsFlaggedAndKeepsItsCentre() throws Exception {
        CvatImage clipped = read(BACKGROUND_EXAMPLE).get(1);
        assertThat(clipped.tip().get().x()).isCloseTo(297.53, within(1e-9));
        assertThat(clipped.tip().get().y()).isCloseTo(405.78, within(1e-9));
        assertThat(clipped.tip().get().clipped()).isTrue();
    }

    @Test
    void imageWithoutBoxHasNoTip() throws Exception {
        assertThat(read(BACKGROUND_EXAMPLE).get(2).tip()).isEmpty();
    }

    @Test
    void malformedXmlIsRefusedWithReason() {
        assertThatThrownBy(() -> read("<annotations><image name='a.png'"))
                .isInstanceOf(InvalidCvatException.class).hasMessageContaining("malformed CVAT XML");
    }

    @Test
    void externalEntityIsNeverResolved() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE annotations [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
                <annotations><image id="0" name="&secret;" width="528" height="406"/></annotations>
                """;
        assertThatThrownBy(() -> read(xxe)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("DOCTYPE");
    }

    @Test
    void entityExpansionBombIsRefused() {
        StringBuilder bomb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i <= 9; i++) {
            bomb.append("<!ENTITY lol").append(i).append(" \"").append(("&lol" + (i == 1 ? "" : i - 1) + ";").repeat(10))
                    .append("\">");
        }
        bomb.append("]><annotations><image name=\"&lol9;\" width=\"528\" height=\"406\"/></annotations>");
        assertThatThrownBy(() -> read(bomb.toString())).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("DOCTYPE");
    }

    @Test
    void nonNumericOrInfiniteCoordinatesAreRefused() {
        String nan = BACKGROUND_EXAMPLE.replace("xtl=\"331.86\"", "xtl=\"NaN\"");
        assertThatThrownBy(() -> read(nan)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("xtl='NaN' is not a finite number");
        String text = BACKGROUND_EXAMPLE.replace("ybr=\"369.50\"", "ybr=\"tip\"");
        assertThatThrownBy(() -> read(text)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("ybr='tip'");
    }

    @Test
    void twoBoxesOnOneFrameAreRefused() {
        String two = BACKGROUND_EXAMPLE.replace("id=\"985\"></box>",
                "id=\"985\"></box><box label=\"1,\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/>");
        assertThatThrownBy(() -> read(two)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("2 tip boxes");
    }

    @Test
    void otherRootElementOrOversizedExportIsRefused() {
        assertThatThrownBy(() -> read("<html/>")).hasMessageContaining("root element is <html>");
        assertThatThrownBy(() -> new CvatXmlReader(10).read(BACKGROUND_EXAMPLE.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("over the limit");
        assertThatThrownBy(() -> read("")).hasMessageContaining("empty");
    }
}
