package tipstream.capturesim;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes a capture as annotators and rigs leave it on disk: PNG frames, a "CVAT for images 1.1"
 * export (a box centred on each visible tip, clipped at the image border like CVAT does; frames
 * without a visible tip listed without one, as CVAT does) and a ground-truth CSV ({@code frame_name,visible,x,y}, with
 * -1,-1 for no tip).
 */
public final class CaptureWriter {
    /** Annotators' boxes are about this wide around the tip. */
    static final double BOX_SIZE = 16.0;

    public Path write(SimulatedCapture capture, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (SimulatedFrame frame : capture.frames()) {
            Files.write(dir.resolve(frame.frameName()), PngEncoder.encode(frame.image()));
        }
        Path xml = dir.resolve(capture.captureId() + "-cvat.xml");
        try (OutputStream out = Files.newOutputStream(xml)) {
            writeCvat(capture, out);
        } catch (XMLStreamException e) {
            throw new IOException("writing " + xml + " failed", e);
        }
        try (Writer csv = Files.newBufferedWriter(dir.resolve(capture.captureId() + "-truth.csv"))) {
            csv.write("frame_name,visible,x,y\n");
            for (SimulatedFrame f : capture.frames()) {
                csv.write(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f%n", f.frameName(), f.visible() ? 1 : 0,
                        f.visible() ? f.tipX() : -1.0, f.visible() ? f.tipY() : -1.0));
            }
        }
        return xml;
    }

    private static void writeCvat(SimulatedCapture capture, OutputStream out) throws XMLStreamException {
        XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out, StandardCharsets.UTF_8.name());
        xml.writeStartDocument("utf-8", "1.0");
        xml.writeStartElement("annotations");
        xml.writeStartElement("version");
        xml.writeCharacters("1.1");
        xml.writeEndElement();
        xml.writeStartElement("meta");
        xml.writeStartElement("source");
        xml.writeCharacters("tipstream capture-sim " + capture.captureId());
        xml.writeEndElement();
        xml.writeEndElement();
        int id = 0;
        int boxId = 0;
        for (SimulatedFrame f : capture.frames()) {
            int imageId = id++;
            xml.writeCharacters("\n");
            xml.writeStartElement("image");
            xml.writeAttribute("id", Integer.toString(imageId));
            xml.writeAttribute("name", f.frameName());
            xml.writeAttribute("width", Integer.toString(PinholeCamera.WIDTH));
            xml.writeAttribute("height", Integer.toString(PinholeCamera.HEIGHT));
            if (!f.visible()) {
                xml.writeEndElement(); // CVAT lists every frame; one whose tip nobody could see has no box
                continue;
            }
            xml.writeStartElement("box");
            xml.writeAttribute("label", "tip");
            xml.writeAttribute("xtl", number(Math.max(0, f.tipX() - BOX_SIZE / 2)));
            xml.writeAttribute("ytl", number(Math.max(0, f.tipY() - BOX_SIZE / 2)));
            xml.writeAttribute("xbr", number(Math.min(PinholeCamera.WIDTH, f.tipX() + BOX_SIZE / 2)));
            xml.writeAttribute("ybr", number(Math.min(PinholeCamera.HEIGHT, f.tipY() + BOX_SIZE / 2)));
            xml.writeAttribute("occluded", "0");
            xml.writeAttribute("id", Integer.toString(boxId++));
            xml.writeEndElement();
            xml.writeEndElement();
        }
        xml.writeEndElement();
        xml.writeEndDocument();
        xml.close();
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
