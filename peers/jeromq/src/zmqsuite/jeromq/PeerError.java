package zmqsuite.jeromq;

/**
 * A refusal the peer reports as {"ok":false,"error":{"category":…,"message":…}}. It is data
 * for the harness (a case may expect it), not a fault of the peer.
 */
public final class PeerError extends Exception {
    private static final long serialVersionUID = 1L;

    // The protocol's categories (docs/peer-protocol.md, "Error categories").
    public static final String AGAIN = "again";
    public static final String EFSM = "efsm";
    public static final String HOSTUNREACH = "hostunreach";
    public static final String TERM = "term";
    public static final String CLOSED = "closed";
    public static final String INVAL = "inval";
    public static final String NAMETOOLONG = "nametoolong";
    public static final String UNSUPPORTED = "unsupported";
    public static final String PROTOCOL = "protocol";
    public static final String OTHER = "other";

    public final String category;

    public PeerError(String category, String message) {
        super(message, null, false, false); // no stack: refusals are frequent and expected
        this.category = category;
    }

    public static PeerError of(String category, String format, Object... args) {
        return new PeerError(category, String.format(format, args));
    }

    /** The same refusal with context put in front of its message. */
    public PeerError prefixed(String context) {
        return new PeerError(category, context + ": " + getMessage());
    }
}
