package tipstream.dataset;

/** A frame that cannot be accepted; the message says why, in words a rig operator understands. */
public class InvalidFrameException extends Exception {
    public InvalidFrameException(String reason) {
        super(reason);
    }

    public InvalidFrameException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
