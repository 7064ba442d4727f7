package zmqsuite.jeromq;

import org.zeromq.ZMQException;

import zmq.SocketBase;

/**
 * What JeroMQ 0.3.6 does with each transport, and how the peer binds.
 *
 * <p><b>ipc</b>: JeroMQ 0.3.6 accepts ipc:// endpoints but has no unix-domain transport:
 * IpcAddress maps the path to tcp://127.0.0.1:(10000 + |path.hashCode()| mod 55536) and
 * IpcListener says "fake Unix domain socket". Nothing appears at the path and no other
 * implementation can reach it, so ipc is not a transport this binding has: the peer answers
 * "unsupported" (hello reports it declared but not working, with the reason).
 *
 * <p><b>tcp wildcard</b>: see {@link #bind}.
 */
final class Transports {
    private Transports() {}

    static final String IPC_REASON = "JeroMQ 0.3.6 has no ipc transport: ipc://PATH is emulated over "
            + "tcp://127.0.0.1:(10000 + |PATH.hashCode()| mod 55536) (zmq.IpcAddress, \"fake Unix domain socket\"); "
            + "no socket file is created and no other implementation can connect";

    static String scheme(String endpoint) {
        int i = endpoint.indexOf("://");
        return i < 0 ? "" : endpoint.substring(0, i);
    }

    /** Refuses what the peer knows JeroMQ cannot do, before the binding is asked. */
    static void check(String endpoint, String what) throws PeerError {
        if (scheme(endpoint).equals("ipc")) {
            throw PeerError.of(PeerError.UNSUPPORTED, "%s %s: %s", what, endpoint, IPC_REASON);
        }
    }

    /**
     * Binds and returns the real endpoint (the caller holds the socket). tcp://host:* goes
     * through JeroMQ's public API, org.zeromq.ZMQ.Socket.bindToRandomPort, which tries ports
     * from 0xC000 upward until one binds and registers the endpoint under that explicit port:
     * that is what a JeroMQ user's bind("tcp://host:*") does. The internal SocketBase.bind would
     * bind a kernel-chosen port but report tcp://host:0 as its last endpoint, so nobody could
     * learn which.
     */
    static String bind(SocketBase s, String endpoint) throws PeerError {
        if (isTcpWildcard(endpoint)) {
            int port;
            try {
                port = new ApiSocket(s).bindToRandomPort(endpoint.substring(0, endpoint.length() - 2));
            } catch (ZMQException e) {
                throw Errors.fromErrno(e.getErrorCode(), "bind " + endpoint);
            } catch (RuntimeException e) {
                throw Errors.fromException(e, "bind " + endpoint, false);
            }
            if (port < 0) {
                throw Errors.fromErrno(s.errno(), "bind " + endpoint + " (no port from 49152 up would bind)");
            }
            return lastEndpoint(s, endpoint);
        }
        boolean ok;
        try {
            ok = s.bind(endpoint);
        } catch (RuntimeException e) {
            throw Errors.fromException(e, "bind " + endpoint, false);
        }
        if (!ok) {
            throw Errors.fromErrno(s.errno(), "bind " + endpoint);
        }
        return lastEndpoint(s, endpoint);
    }

    /** org.zeromq.ZMQ.Socket over an existing SocketBase (its constructor for that is protected). */
    private static final class ApiSocket extends org.zeromq.ZMQ.Socket {
        ApiSocket(SocketBase base) {
            super(base);
        }
    }

    static boolean isTcpWildcard(String endpoint) {
        return endpoint.startsWith("tcp://") && endpoint.endsWith(":*");
    }

    /**
     * The endpoint to report after a bind: ZMQ_LAST_ENDPOINT for tcp (the address JeroMQ
     * resolved: a real port, as wildcards are bound by explicit port), the request's own for
     * inproc (JeroMQ stores it unchanged). A port 0 would mean JeroMQ bound something nobody can
     * name: refused, never reported as if it were usable.
     */
    static String lastEndpoint(SocketBase s, String requested) throws PeerError {
        if (!scheme(requested).equals("tcp")) {
            return requested;
        }
        Object last = s.getsockoptx(zmq.ZMQ.ZMQ_LAST_ENDPOINT);
        String reported = last == null ? "" : last.toString();
        if (reported.isEmpty() || reported.endsWith(":0")) {
            throw PeerError.of(PeerError.OTHER, "bind %s: JeroMQ reports its endpoint as \"%s\"", requested, reported);
        }
        return reported;
    }
}
