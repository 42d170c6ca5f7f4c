package tipstream.capturesim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class CaptureWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesFramesCvatXmlWithExactlyTheVisibleTipsAndTruthCsv() throws Exception {
        // a sweep: the mock-up crosses the frame, so the tip leaves it for part of the capture
        SimulatedCapture capture = LabSession.capture(11, ArmTrajectory.Kind.SWEEP, "20261123-OG1_00_11", 30);
        Map<String, SimulatedFrame> byName = capture.frames().stream()
                .collect(Collectors.toMap(SimulatedFrame::frameName, Function.identity()));
        Path xml = capture.writeTo(dir);

        for (SimulatedFrame f : capture.frames()) {
            assertThat(ImageIO.read(dir.resolve(f.frameName()).toFile()).getWidth()).isEqualTo(528);
        }
        NodeList images = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile())
                .getElementsByTagName("image");
        assertThat(images.getLength()).isEqualTo(30); // every frame, as CVAT lists them
        assertThat(capture.visibleCount()).isBetween(1L, 29L);
        int clipped = 0;
        int boxes = 0;
        for (int i = 0; i < images.getLength(); i++) {
            Element image = (Element) images.item(i);
            SimulatedFrame f = byName.get(image.getAttribute("name"));
            assertThat(image.getElementsByTagName("box").getLength()).isEqualTo(f.visible() ? 1 : 0);
            if (!f.visible()) {
                continue;
            }
            boxes++;
            Element box = (Element) image.getElementsByTagName("box").item(0);
            double xtl = Double.parseDouble(box.getAttribute("xtl"));
            double ytl = Double.parseDouble(box.getAttribute("ytl"));
            double xbr = Double.parseDouble(box.getAttribute("xbr"));
            double ybr = Double.parseDouble(box.getAttribute("ybr"));
            assertThat(xtl).isGreaterThanOrEqualTo(0);
            assertThat(xbr).isLessThanOrEqualTo(528);
            boolean isClipped = xtl == 0 || ytl == 0 || xbr == 528 || ybr == 406;
            if (isClipped) {
                clipped++;
            } else {
                assertThat((xtl + xbr) / 2).isCloseTo(f.tipX(), within(0.01));
                assertThat((ytl + ybr) / 2).isCloseTo(f.tipY(), within(0.01));
            }
        }
        assertThat(boxes).isEqualTo((int) capture.visibleCount());
        assertThat(clipped).isLessThan(boxes);

        List<String> csv = Files.readAllLines(dir.resolve(capture.captureId() + "-truth.csv"));
        assertThat(csv.get(0)).isEqualTo("frame_name,visible,x,y");
        assertThat(csv).hasSize(31);
        for (String row : csv.subList(1, csv.size())) {
            String[] cols = row.split(",");
            SimulatedFrame f = byName.get(cols[0]);
            assertThat(cols[1]).isEqualTo(f.visible() ? "1" : "0");
            if (!f.visible()) {
                assertThat(cols[2]).isEqualTo("-1.000");
            } else {
                assertThat(Double.parseDouble(cols[2])).isCloseTo(f.tipX(), within(0.001));
            }
        }
    }
}
