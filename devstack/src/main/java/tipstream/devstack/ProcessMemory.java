package tipstream.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory of a process, read from /proc (Linux); -1 where it cannot be read. */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** Resident memory now. */
    public static long residentBytes(long pid) {
        long kb = statusKilobytes(pid, "VmRSS:");
        return kb < 0 ? -1 : kb * 1024;
    }

    /** Peak resident memory (the high-water mark). */
    public static long peakResidentBytes(long pid) {
        long kb = statusKilobytes(pid, "VmHWM:");
        return kb < 0 ? -1 : kb * 1024;
    }

    private static long statusKilobytes(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }
}
