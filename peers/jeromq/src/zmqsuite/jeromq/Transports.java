package zmqsuite.jeromq;

import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;

import zmq.SocketBase;
import zmq.ZMQ;

/**
 * What JeroMQ 0.3.6 does with each transport, and the two places where the peer has to look
 * past what the binding says to report the truth.
 *
 * <p><b>ipc</b>: JeroMQ 0.3.6 accepts ipc:// endpoints but has no unix-domain transport:
 * IpcAddress maps the path to tcp://127.0.0.1:(10000 + |path.hashCode()| mod 55536) and
 * IpcListener says "fake Unix domain socket". Nothing appears at the path and no other
 * implementation can reach it, so ipc is not a transport this binding has: the peer answers
 * "unsupported" (hello reports it declared but not working, with the reason).
 *
 * <p><b>tcp wildcard</b>: binding tcp://host:* works, but ZMQ_LAST_ENDPOINT reports port 0
 * (TcpListener keeps the address it resolved before binding). The bind reply must name the
 * real endpoint, so the peer reads the port from the listening channel JeroMQ opened.
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

    /** The endpoint a bind really listens on (called with the socket's lock held). */
    static String realEndpoint(SocketBase s, String requested) throws PeerError {
        String scheme = scheme(requested);
        if (!scheme.equals("tcp")) {
            return requested;
        }
        Object last = s.getsockoptx(ZMQ.ZMQ_LAST_ENDPOINT);
        String reported = last == null ? "" : last.toString();
        if (!reported.endsWith(":0")) {
            return reported;
        }
        int port = listeningPort(s, requested);
        if (port <= 0) {
            throw PeerError.of(PeerError.OTHER, "bind %s: JeroMQ reports %s and the real port could not be found",
                    requested, reported);
        }
        return reported.substring(0, reported.length() - 1) + port;
    }

    /**
     * The local port of the listener JeroMQ registered for this bind: SocketBase.endpoints maps
     * the bind string to a TcpListener, whose ServerSocketChannel is bound. Read-only reflection
     * on private fields of this exact release; -1 if the layout is not the expected one.
     */
    static int listeningPort(SocketBase s, String requested) {
        try {
            Field endpoints = SocketBase.class.getDeclaredField("endpoints");
            endpoints.setAccessible(true);
            Object listener = ((Map<?, ?>) endpoints.get(s)).get(requested);
            if (listener == null) {
                return -1;
            }
            Field handle = zmq.TcpListener.class.getDeclaredField("handle");
            handle.setAccessible(true);
            ServerSocketChannel ch = (ServerSocketChannel) handle.get(listener);
            SocketAddress a = ch.getLocalAddress();
            return a instanceof InetSocketAddress ? ((InetSocketAddress) a).getPort() : -1;
        } catch (ReflectiveOperationException | RuntimeException | java.io.IOException e) {
            System.err.println("jeromq peer: cannot read the listening port: " + e);
            return -1;
        }
    }
}
