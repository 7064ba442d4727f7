package zmqsuite.jeromq;

import java.util.LinkedHashMap;
import java.util.Map;

import zmq.Ctx;
import zmq.ZMQ;

/** The peer's named contexts: sockets created with the same name share one JeroMQ context. */
final class Ctxs {
    static final class Named {
        final String name;
        final Ctx ctx;

        Named(String name, Ctx ctx) {
            this.name = name;
            this.ctx = ctx;
        }
    }

    private final Map<String, Named> byName = new LinkedHashMap<>();

    /** The context of that name, created on first use ("" is the default context). */
    synchronized Named get(String name) {
        return byName.computeIfAbsent(name, n -> new Named(n, ZMQ.createContext()));
    }
}
