package tipstream.dataset;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Reads tip annotations from a "CVAT for images 1.1" export. CVAT cannot annotate points, so a
 * tip is a small box whose centre is the tip; boxes may be clipped at the image border. Frames
 * whose tip is hidden are absent from the export (the importer turns absence into "no tip").
 * DTDs are refused outright, so external entities and entity expansion never happen.
 */
public final class CvatXmlReader {

    /** One {@code <image>} of the export and the tip its box marks, if it has one. */
    public record CvatImage(String name, int width, int height, Optional<CvatTip> tip) {
    }

    /** A tip from a box centre; {@code clipped} when the box touches the image border. */
    public record CvatTip(double x, double y, boolean clipped) {
    }

    /** An export that cannot be read; the message says where and why. */
    public static class InvalidCvatException extends Exception {
        public InvalidCvatException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final int maxBytes;

    public CvatXmlReader(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    public List<CvatImage> read(byte[] xml) throws InvalidCvatException {
        if (xml == null || xml.length == 0) {
            throw new InvalidCvatException("empty CVAT export", null);
        }
        if (xml.length > maxBytes) {
            throw new InvalidCvatException("CVAT export is " + xml.length + " bytes, over the limit of " + maxBytes, null);
        }
        Document doc;
        try {
            doc = newBuilder().parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw new InvalidCvatException("malformed CVAT XML: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (!"annotations".equals(root.getTagName())) {
            throw new InvalidCvatException("not a CVAT for images export: root element is <" + root.getTagName()
                    + ">, expected <annotations>", null);
        }
        List<CvatImage> images = new ArrayList<>();
        NodeList nodes = root.getElementsByTagName("image");
        for (int i = 0; i < nodes.getLength(); i++) {
            images.add(readImage((Element) nodes.item(i)));
        }
        return images;
    }

    private static CvatImage readImage(Element image) throws InvalidCvatException {
        String name = image.getAttribute("name");
        int width = (int) number(image, "width", name);
        int height = (int) number(image, "height", name);
        NodeList boxes = image.getElementsByTagName("box");
        if (boxes.getLength() > 1) {
            throw new InvalidCvatException("image '" + name + "' has " + boxes.getLength()
                    + " tip boxes; a frame has at most one tip", null);
        }
        if (boxes.getLength() == 0) {
            return new CvatImage(name, width, height, Optional.empty());
        }
        Element box = (Element) boxes.item(0);
        double xtl = number(box, "xtl", name);
        double ytl = number(box, "ytl", name);
        double xbr = number(box, "xbr", name);
        double ybr = number(box, "ybr", name);
        if (xbr < xtl || ybr < ytl) {
            throw new InvalidCvatException("image '" + name + "' has a box with its corners swapped", null);
        }
        boolean clipped = xtl <= 0 || ytl <= 0 || xbr >= width || ybr >= height;
        return new CvatImage(name, width, height, Optional.of(new CvatTip((xtl + xbr) / 2, (ytl + ybr) / 2, clipped)));
    }

    private static double number(Element element, String attribute, String imageName) throws InvalidCvatException {
        String text = element.getAttribute(attribute);
        try {
            double value = Double.parseDouble(text);
            if (!Double.isFinite(value)) {
                throw new NumberFormatException("not finite");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new InvalidCvatException("image '" + imageName + "': <" + element.getTagName() + "> attribute "
                    + attribute + "='" + text + "' is not a finite number", e);
        }
    }

    private static DocumentBuilder newBuilder() throws InvalidCvatException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            // No DTD at all: this is what stops XXE and billion-laughs expansion.
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new DefaultHandler()); // fatal errors throw; nothing printed to stderr
            return builder;
        } catch (ParserConfigurationException e) {
            throw new InvalidCvatException("XML parser cannot be made safe: " + e.getMessage(), e);
        }
    }
}
