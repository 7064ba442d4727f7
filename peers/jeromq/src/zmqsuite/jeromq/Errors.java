package zmqsuite.jeromq;

import zmq.ZError;

/**
 * Maps what JeroMQ 0.3.6 says when an operation fails onto the protocol's categories. JeroMQ
 * reports failures three ways: a false/null return with an errno on the socket (a port of
 * libzmq 3.2), a RuntimeException (its own additions: IllegalStateException for REP's state
 * machine, IllegalArgumentException for bad option values and addresses,
 * UnsupportedOperationException for unknown transports, ZError.CtxTerminatedException), and
 * sometimes a false return with no errno at all. The last is never taken for success.
 */
final class Errors {
    private Errors() {}

    /** The socket's errno after a false/null return. 0 means JeroMQ gave none. */
    static PeerError fromErrno(int errno, String what) {
        String name = name(errno);
        switch (errno) {
            case ZError.EAGAIN:
                return new PeerError(PeerError.AGAIN, what + ": would block (EAGAIN)");
            case ZError.EFSM:
                return new PeerError(PeerError.EFSM, what + ": invalid state for the pattern (EFSM)");
            case ZError.EHOSTUNREACH:
                return new PeerError(PeerError.HOSTUNREACH, what + ": host unreachable (EHOSTUNREACH)");
            case ZError.ETERM:
                return new PeerError(PeerError.TERM, what + ": context terminated (ETERM)");
            case ZError.ENOTSOCK:
                return new PeerError(PeerError.CLOSED, what + ": not a socket (ENOTSOCK)");
            case ZError.EINVAL:
                return new PeerError(PeerError.INVAL, what + ": invalid argument (EINVAL)");
            case ZError.EPROTONOSUPPORT:
            case ZError.ENOTSUP:
                return new PeerError(PeerError.UNSUPPORTED, what + ": not supported (" + name + ")");
            case 0:
                return new PeerError(PeerError.OTHER, what + ": JeroMQ reported failure without an errno");
            default:
                return new PeerError(PeerError.OTHER, what + ": " + name);
        }
    }

    /**
     * A RuntimeException JeroMQ threw. {@code stateful} says the operation was a send or a
     * receive, where IllegalStateException is JeroMQ's way of saying EFSM (Rep.xsend/xrecv).
     */
    static PeerError fromException(RuntimeException e, String what, boolean stateful) {
        String detail = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (e instanceof ZError.CtxTerminatedException) {
            return new PeerError(PeerError.TERM, what + ": context terminated (" + detail + ")");
        }
        if (e instanceof IllegalStateException && stateful) {
            return new PeerError(PeerError.EFSM, what + ": invalid state for the pattern (" + detail + ")");
        }
        if (e instanceof UnsupportedOperationException) {
            return new PeerError(PeerError.UNSUPPORTED, what + ": not supported by JeroMQ (" + detail + ")");
        }
        if (e instanceof IllegalArgumentException) {
            // NumberFormatException (a bad port) is one too.
            return new PeerError(PeerError.INVAL, what + ": invalid argument (" + detail + ")");
        }
        // Anything else inside the binding is not a refusal we understand: say what it was, and
        // leave its stack on stderr for the record.
        System.err.println("jeromq peer: " + what + " threw:");
        e.printStackTrace(System.err);
        return new PeerError(PeerError.OTHER, what + ": " + detail);
    }

    static String name(int errno) {
        switch (errno) {
            case ZError.EINTR: return "EINTR";
            case ZError.EACCESS: return "EACCES";
            case ZError.EFAULT: return "EFAULT";
            case ZError.EINVAL: return "EINVAL";
            case ZError.EAGAIN: return "EAGAIN";
            case ZError.EINPROGRESS: return "EINPROGRESS";
            case ZError.EPROTONOSUPPORT: return "EPROTONOSUPPORT";
            case ZError.ENOTSUP: return "ENOTSUP";
            case ZError.EADDRINUSE: return "EADDRINUSE (address in use)";
            case ZError.EADDRNOTAVAIL: return "EADDRNOTAVAIL";
            case ZError.ENETDOWN: return "ENETDOWN";
            case ZError.ENOBUFS: return "ENOBUFS";
            case ZError.EISCONN: return "EISCONN";
            case ZError.ENOTCONN: return "ENOTCONN";
            case ZError.ECONNREFUSED: return "ECONNREFUSED";
            case ZError.EHOSTUNREACH: return "EHOSTUNREACH";
            case ZError.ENOTSOCK: return "ENOTSOCK";
            case ZError.EFSM: return "EFSM";
            case ZError.ENOCOMPATPROTO: return "ENOCOMPATPROTO";
            case ZError.ETERM: return "ETERM";
            case ZError.EMTHREAD: return "EMTHREAD";
            case ZError.EIOEXC: return "EIOEXC";
            case ZError.ESOCKET: return "ESOCKET";
            case ZError.EMFILE: return "EMFILE";
            default: return "errno " + errno;
        }
    }
}
