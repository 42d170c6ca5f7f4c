package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tipstream.dataset.CvatXmlReader.CvatExport;
import tipstream.dataset.CvatXmlReader.CvatFrame;
import tipstream.dataset.CvatXmlReader.Format;
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

    /**
     * A "CVAT for video 1.1" export as CVAT writes it: the tip tracked as a box with keyframes at
     * frames 2 and 12 (CVAT also lists the interpolated frames, keyframe="0", here one of them
     * deliberately off the line: an importer re-interpolates, as CVAT's own does), outside from
     * frame 15, back at 20; a second track of another label.
     */
    static final String VIDEO_EXPORT = """
            <?xml version="1.0" encoding="utf-8"?>
            <annotations><version>1.1</version>
              <meta><task><id>7</id><name>sweep</name><size>25</size><mode>interpolation</mode>
                <start_frame>0</start_frame><stop_frame>24</stop_frame><frame_filter></frame_filter>
                <labels><label><name>tip</name></label><label><name>body</name></label></labels>
                <original_size><width>528</width><height>406</height></original_size></task>
                <source>lab/20261201-OG1_00_01.mp4</source></meta>
              <track id="0" label="tip" source="manual">
                <box frame="2" keyframe="1" outside="0" occluded="0" xtl="100" ytl="200" xbr="110" ybr="210" z_order="0"/>
                <box frame="3" keyframe="0" outside="0" occluded="0" xtl="0" ytl="0" xbr="1" ybr="1" z_order="0"/>
                <box frame="12" keyframe="1" outside="0" occluded="0" xtl="200" ytl="100" xbr="210" ybr="110" z_order="0"/>
                <box frame="15" keyframe="1" outside="1" occluded="0" xtl="230" ytl="70" xbr="240" ybr="80" z_order="0"/>
                <box frame="20" keyframe="1" outside="0" occluded="1" xtl="300" ytl="300" xbr="310" ybr="310" z_order="0"/>
              </track>
              <track id="1" label="body" source="manual">
                <box frame="0" keyframe="1" outside="0" occluded="0" xtl="10" ytl="10" xbr="500" ybr="400" z_order="0"/>
              </track>
            </annotations>
            """;

    private final CvatXmlReader reader = new CvatXmlReader(1 << 20);

    private List<CvatFrame> read(String xml) throws InvalidCvatException {
        return export(xml, null).frames();
    }

    private CvatExport export(String xml, String label) throws InvalidCvatException {
        return reader.read(xml.getBytes(StandardCharsets.UTF_8), label, null);
    }

    private static String image(String name, String shapes) {
        return "<image id=\"0\" name=\"" + name + "\" width=\"528\" height=\"406\">" + shapes + "</image>";
    }

    private static Map<String, CvatFrame> byName(List<CvatFrame> frames) {
        return frames.stream().collect(Collectors.toMap(CvatFrame::name, Function.identity()));
    }

    @Test
    void tipIsTheBoxCentreOfTheExportsOnlyLabel() throws Exception {
        CvatExport export = export(BACKGROUND_EXAMPLE, null);
        assertThat(export.format()).isEqualTo(Format.IMAGES);
        assertThat(export.label()).isEqualTo("1,");
        List<CvatFrame> images = export.frames();
        assertThat(images).hasSize(3);
        CvatFrame first = images.get(0);
        assertThat(first.name()).isEqualTo("20180727-OG3_04_45-camL0000.png");
        assertThat(first.width()).isEqualTo(528);
        assertThat(first.height()).isEqualTo(406);
        assertThat(first.tip().get().x()).isCloseTo(340.27, within(1e-9));
        assertThat(first.tip().get().y()).isCloseTo(361.34, within(1e-9));
        assertThat(first.tip().get().clipped()).isFalse();
    }

    @Test
    void boxClippedAtTheBorderIsFlaggedAndKeepsItsCentre() throws Exception {
        CvatFrame clipped = read(BACKGROUND_EXAMPLE).get(1);
        assertThat(clipped.tip().get().x()).isCloseTo(297.53, within(1e-9));
        assertThat(clipped.tip().get().y()).isCloseTo(405.78, within(1e-9));
        assertThat(clipped.tip().get().clipped()).isTrue();
    }

    @Test
    void imageWithoutBoxHasNoTip() throws Exception {
        CvatFrame empty = read(BACKGROUND_EXAMPLE).get(2);
        assertThat(empty.tip()).isEmpty();
        assertThat(empty.readable()).isTrue();
    }

    @Test
    void aTipMayBeAPointOrASkeletonsPointAndOnlyTheTipLabelCounts() throws Exception {
        String xml = "<annotations>"
                + image("a-camL0000.png", "<box label=\"body\" xtl=\"1\" ytl=\"1\" xbr=\"400\" ybr=\"300\"/>"
                        + "<points label=\"tip\" occluded=\"1\" points=\"340.27,361.34\" z_order=\"0\"/>")
                + image("a-camL0001.png", "<skeleton label=\"satellite\"><points label=\"boom-root\" outside=\"0\""
                        + " points=\"10,20\"/><points label=\"tip\" outside=\"0\" points=\"55.5,66.25\"/></skeleton>")
                + image("a-camL0002.png", "<skeleton label=\"satellite\"><points label=\"tip\" outside=\"1\""
                        + " points=\"55.5,66.25\"/></skeleton>")
                + image("a-camL0003.png", "<box label=\"body\" xtl=\"1\" ytl=\"1\" xbr=\"400\" ybr=\"300\"/>")
                + "</annotations>";
        CvatExport export = export(xml, null);
        assertThat(export.label()).isEqualTo("tip");
        Map<String, CvatFrame> frames = byName(export.frames());
        assertThat(frames.get("a-camL0000.png").tip().get().x()).isEqualTo(340.27); // occluded still counts
        assertThat(frames.get("a-camL0000.png").tip().get().y()).isEqualTo(361.34);
        assertThat(frames.get("a-camL0000.png").tip().get().clipped()).isFalse();
        assertThat(frames.get("a-camL0001.png").tip().get().x()).isEqualTo(55.5);
        assertThat(frames.get("a-camL0001.png").tip().get().y()).isEqualTo(66.25);
        assertThat(frames.get("a-camL0002.png").tip()).isEmpty(); // the skeleton's tip is outside
        assertThat(frames.get("a-camL0003.png").tip()).isEmpty(); // a box of another label is no tip

        CvatExport body = export(xml, "body");
        assertThat(byName(body.frames()).get("a-camL0003.png").tip().get().x()).isEqualTo(200.5);
        assertThatThrownBy(() -> export(xml, "antenna")).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("no box or point in the export is labelled 'antenna'")
                .hasMessageContaining("body").hasMessageContaining("tip");
        String twoOthers = xml.replace("\"tip\"", "\"knob\"");
        assertThatThrownBy(() -> export(twoOthers, null)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("say which label marks the tip");
    }

    @Test
    void twoTipsOrAMultiPointShapeMakeThatFrameUnreadableNotTheExport() throws Exception {
        String xml = "<annotations>"
                + image("a-camL0000.png", "<box label=\"tip\" xtl=\"1\" ytl=\"1\" xbr=\"3\" ybr=\"3\"/>"
                        + "<points label=\"tip\" points=\"9,9\"/>")
                + image("a-camL0001.png", "<points label=\"tip\" points=\"9,9;10,10;11,11\"/>")
                + image("a-camL0002.png", "<points label=\"tip\" points=\"9,9\"/>")
                + "</annotations>";
        Map<String, CvatFrame> frames = byName(read(xml));
        assertThat(frames.get("a-camL0000.png").problem()).isEqualTo("2 tips on one frame");
        assertThat(frames.get("a-camL0001.png").problem()).contains("3 points");
        assertThat(frames.get("a-camL0002.png").readable()).isTrue();
    }

    @Test
    void imageNamesWithFoldersAreReadByTheirOwnNameAndADisagreeingRepeatIsRefused() throws Exception {
        String box = "<box label=\"tip\" xtl=\"100\" ytl=\"100\" xbr=\"110\" ybr=\"110\"/>";
        String xml = "<annotations>"
                + image("20180727-OG3_04_45/20180727-OG3_04_45-camL0000.png", box)
                + image("session\\20180727-OG3_04_45-camL0001.png", "")
                + image("a/20180727-OG3_04_45-camL0002.png", box)
                + image("b/20180727-OG3_04_45-camL0002.png", box.replace("110", "130"))
                + image("c/20180727-OG3_04_45-camL0003.png", box)
                + image("d/20180727-OG3_04_45-camL0003.png", box)
                + "</annotations>";
        Map<String, CvatFrame> frames = byName(read(xml));
        assertThat(frames).containsOnlyKeys("20180727-OG3_04_45-camL0000.png", "20180727-OG3_04_45-camL0001.png",
                "20180727-OG3_04_45-camL0002.png", "20180727-OG3_04_45-camL0003.png");
        assertThat(frames.get("20180727-OG3_04_45-camL0000.png").tip().get().x()).isEqualTo(105.0);
        assertThat(frames.get("20180727-OG3_04_45-camL0002.png").problem()).contains("listed more than once");
        assertThat(frames.get("20180727-OG3_04_45-camL0003.png").readable()).isTrue(); // the same twice is fine
    }

    @Test
    void videoTracksAreInterpolatedBetweenKeyframesAndHiddenWhileOutside() throws Exception {
        CvatExport export = export(VIDEO_EXPORT, null);
        assertThat(export.format()).isEqualTo(Format.VIDEO);
        assertThat(export.label()).isEqualTo("tip");
        List<CvatFrame> frames = export.frames();
        assertThat(frames).hasSize(25);
        assertThat(frames.get(0).name()).isEqualTo("20261201-OG1_00_01-camL0000.png");
        assertThat(frames.get(24).name()).isEqualTo("20261201-OG1_00_01-camL0024.png");
        assertThat(frames).allSatisfy(f -> assertThat(f.width()).isEqualTo(528));
        assertThat(frames.get(0).tip()).isEmpty(); // before the track's first keyframe
        assertThat(frames.get(1).tip()).isEmpty();
        assertThat(frames.get(2).tip().get().x()).isEqualTo(105.0);
        assertThat(frames.get(2).tip().get().y()).isEqualTo(205.0);
        // frame 3 is interpolated from the keyframes, not read from the keyframe="0" shape
        assertThat(frames.get(3).tip().get().x()).isCloseTo(115.0, within(1e-9));
        assertThat(frames.get(7).tip().get().x()).isCloseTo(155.0, within(1e-9));
        assertThat(frames.get(7).tip().get().y()).isCloseTo(155.0, within(1e-9));
        assertThat(frames.get(12).tip().get().x()).isEqualTo(205.0);
        // between a visible keyframe and an outside one CVAT moves the shape towards the latter's place
        assertThat(frames.get(14).tip().get().x()).isCloseTo(205.0 + 2 * 10.0, within(1e-9));
        for (int n = 15; n < 20; n++) {
            assertThat(frames.get(n).tip()).as("frame %d", n).isEmpty();
        }
        for (int n = 20; n < 25; n++) { // the last keyframe holds to the end of the task
            assertThat(frames.get(n).tip().get().x()).as("frame %d", n).isEqualTo(305.0);
        }
        assertThat(frames).allSatisfy(f -> assertThat(f.readable()).isTrue());

        CvatExport named = reader.read(VIDEO_EXPORT.getBytes(StandardCharsets.UTF_8), null, "rig-7");
        assertThat(named.frames().get(5).name()).isEqualTo("rig-7-camL0005.png");
    }

    @Test
    void aJobsExportCoversItsFrameRangeOnlyAndAFrameFilterStepsThroughTheVideo() throws Exception {
        String job = VIDEO_EXPORT.replace("<start_frame>0</start_frame><stop_frame>24</stop_frame>",
                "<start_frame>10</start_frame><stop_frame>20</stop_frame>").replace("<size>25</size>", "<size>6</size>")
                .replace("<frame_filter></frame_filter>", "<frame_filter>step=2</frame_filter>");
        List<CvatFrame> frames = read(job);
        assertThat(frames).extracting(CvatFrame::name).containsExactly("20261201-OG1_00_01-camL0010.png",
                "20261201-OG1_00_01-camL0012.png", "20261201-OG1_00_01-camL0014.png", "20261201-OG1_00_01-camL0016.png",
                "20261201-OG1_00_01-camL0018.png", "20261201-OG1_00_01-camL0020.png");
        assertThat(frames.get(0).tip().get().x()).isCloseTo(185.0, within(1e-9));
        assertThat(frames.get(3).tip()).isEmpty();
    }

    @Test
    void aVideoExportWithoutItsSourceNeedsTheCaptureNamed() {
        String anonymous = VIDEO_EXPORT.replace("<source>lab/20261201-OG1_00_01.mp4</source>", "");
        assertThatThrownBy(() -> read(anonymous)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("without <source>");
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
                .hasMessageContaining("DTD").hasMessageNotContaining("root:");
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
                .hasMessageContaining("DTD");
    }

    @Test
    void deeplyNestedElementsAreRefusedNotWalked() {
        String deep = "<annotations>" + "<a>".repeat(100_000) + "</a>".repeat(100_000) + "</annotations>";
        assertThatThrownBy(() -> read(deep)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("deeper than 32");
    }

    @Test
    void anExportWithNothingToImportIsRefused() {
        assertThatThrownBy(() -> read("<annotations><meta/></annotations>")).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("nothing to import");
    }

    @Test
    void nonNumericOrInfiniteCoordinatesAreRefused() {
        String nan = BACKGROUND_EXAMPLE.replace("xtl=\"331.86\"", "xtl=\"NaN\"");
        assertThatThrownBy(() -> read(nan)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("xtl='NaN' is not a finite number");
        String text = BACKGROUND_EXAMPLE.replace("ybr=\"369.50\"", "ybr=\"tip\"");
        assertThatThrownBy(() -> read(text)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("ybr='tip'");
        String frame = VIDEO_EXPORT.replace("frame=\"12\"", "frame=\"-3\"");
        assertThatThrownBy(() -> read(frame)).isInstanceOf(InvalidCvatException.class)
                .hasMessageContaining("frame='-3' is not a frame number");
    }

    @Test
    void otherRootElementOrOversizedExportIsRefused() {
        assertThatThrownBy(() -> read("<html/>")).hasMessageContaining("root element is <html>");
        assertThatThrownBy(() -> new CvatXmlReader(10).read(BACKGROUND_EXAMPLE.getBytes(StandardCharsets.UTF_8), null, null))
                .hasMessageContaining("over the limit");
        assertThatThrownBy(() -> read("")).hasMessageContaining("empty");
    }
}
