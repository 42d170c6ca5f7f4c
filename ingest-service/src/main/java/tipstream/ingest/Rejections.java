package tipstream.ingest;

import tipstream.dataset.PlainName;
import tipstream.v1.ImportSummary;
import tipstream.v1.Rejection;
import tipstream.v1.UploadSummary;

/**
 * How a summary tells the caller what was rejected: every rejection counted ({@code rejected}), the
 * first {@link #LISTED} listed with their reasons, names shown as sent but cut short and without
 * control characters. A long upload of bad frames, or a frame name of megabytes, then cannot grow
 * the summary past what a client reads (review R14).
 */
final class Rejections {
    /** How many rejections a summary lists; {@code rejected} counts them all. */
    static final int LISTED = 100;

    private Rejections() {
    }

    static void add(UploadSummary.Builder summary, String frameName, String reason) {
        summary.setRejected(summary.getRejected() + 1);
        if (summary.getRejectionsCount() < LISTED) {
            summary.addRejections(of(frameName, reason));
        }
    }

    static void add(ImportSummary.Builder summary, String frameName, String reason) {
        summary.setRejected(summary.getRejected() + 1);
        if (summary.getRejectionsCount() < LISTED) {
            summary.addRejections(of(frameName, reason));
        }
    }

    private static Rejection of(String frameName, String reason) {
        return Rejection.newBuilder().setFrameName(PlainName.printable(frameName)).setReason(reason).build();
    }
}
