package tipstream.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import tipstream.dataset.SafeZip.InvalidArchiveException;
import tipstream.dataset.SafeZip.Limits;

class SafeZipTest {
    private static final Limits SMALL = new Limits(3, 1000, 1500, 50);

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static Map<String, byte[]> entries(Object... pathsAndTexts) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndTexts.length; i += 2) {
            Object content = pathsAndTexts[i + 1];
            entries.put((String) pathsAndTexts[i], content instanceof byte[] b ? b
                    : ((String) content).getBytes(StandardCharsets.UTF_8));
        }
        return entries;
    }

    @Test
    void readsEveryFileWithItsPathAndSkipsFolders() throws Exception {
        List<SafeZip.Entry> read = SafeZip.read(zip(entries("annotations.xml", "<annotations/>", "images/", "",
                "images/a-camL0000.png", "png")), SafeZip.Limits.standard());
        assertThat(read).extracting(SafeZip.Entry::path).containsExactly("annotations.xml", "images/a-camL0000.png");
        assertThat(read.get(1).baseName()).isEqualTo("a-camL0000.png");
        assertThat(new String(read.get(0).bytes(), StandardCharsets.UTF_8)).isEqualTo("<annotations/>");
    }

    @Test
    void zipSlipAndAbsolutePathsAreRefused() throws Exception {
        for (String path : List.of("../evil.png", "images/../../evil.png", "/etc/cron.d/evil", "C:/evil.png",
                "images\\..\\..\\evil.png")) {
            byte[] archive = zip(entries("annotations.xml", "<annotations/>", path, "x"));
            assertThatThrownBy(() -> SafeZip.read(archive, SafeZip.Limits.standard())).as(path)
                    .isInstanceOf(InvalidArchiveException.class).hasMessageMatching(".*(absolute path|zip slip).*");
        }
    }

    @Test
    void bombsAndOversizedArchivesAreRefusedBeforeAnythingIsUsed() throws Exception {
        byte[] zeros = new byte[50_000];
        assertThatThrownBy(() -> SafeZip.read(zip(entries("bomb.bin", zeros)), new Limits(3, 100_000, 150_000, 50)))
                .hasMessageContaining("inflates over 50 times").hasMessageContaining("zip bomb");
        byte[] noise = new byte[1001];
        new java.util.Random(1).nextBytes(noise);
        assertThatThrownBy(() -> SafeZip.read(zip(entries("big.bin", noise)), SMALL))
                .hasMessageContaining("'big.bin' is over 1000 bytes");
        byte[] half = Arrays.copyOf(noise, 800);
        assertThatThrownBy(() -> SafeZip.read(zip(entries("a.bin", half, "b.bin", half)), SMALL))
                .hasMessageContaining("archive is over 1500 bytes");
        assertThatThrownBy(() -> SafeZip.read(zip(entries("a", "1", "b", "2", "c", "3", "d", "4")), SMALL))
                .hasMessageContaining("4 entries, over the limit of 3");
    }

    @Test
    void truncatedCorruptEmptyAndRepeatedArchivesAreRefused() throws Exception {
        byte[] good = zip(entries("annotations.xml", "<annotations>" + "x".repeat(5000) + "</annotations>"));
        byte[] truncated = Arrays.copyOf(good, good.length / 2);
        assertThatThrownBy(() -> SafeZip.read(truncated, SafeZip.Limits.standard()))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("truncated or corrupt");
        byte[] corrupt = good.clone();
        for (int i = 40; i < 60; i++) {
            corrupt[i] ^= 0x5a;
        }
        assertThatThrownBy(() -> SafeZip.read(corrupt, SafeZip.Limits.standard()))
                .isInstanceOf(InvalidArchiveException.class);
        assertThatThrownBy(() -> SafeZip.read(zip(entries()), SafeZip.Limits.standard()))
                .isInstanceOf(InvalidArchiveException.class);
        assertThatThrownBy(() -> SafeZip.read("<annotations/>".getBytes(StandardCharsets.UTF_8), SafeZip.Limits.standard()))
                .hasMessageContaining("not a zip");
        assertThatThrownBy(() -> SafeZip.read(zip(entries("images/a.png", "1", "images//a.png", "2")),
                SafeZip.Limits.standard())).isInstanceOf(InvalidArchiveException.class);
    }
}
