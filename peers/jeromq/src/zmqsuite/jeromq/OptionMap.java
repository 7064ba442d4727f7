package zmqsuite.jeromq;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import zmq.ZMQ;

/**
 * The protocol's option names and what JeroMQ 0.3.6 has for them. JeroMQ 0.3.6 is a port of
 * libzmq 3.2.5 (zmq.ZMQ.ZMQ_VERSION_*): options libzmq added in 4.x (PROBE_ROUTER, REQ_RELAXED,
 * REQ_CORRELATE, CONFLATE, XPUB_MANUAL, XPUB_WELCOME_MSG, INVERT_MATCHING, HEARTBEAT_*,
 * ROUTER_NOTIFY, TOPICS_COUNT, CONNECT_ROUTING_ID) do not exist and are answered "unsupported".
 * IMMEDIATE is libzmq 3.2's DELAY_ATTACH_ON_CONNECT under its later name (same number, 39).
 * Which of these JeroMQ really accepts is probed at hello ({@link Hello}).
 */
final class OptionMap {
    private OptionMap() {}

    enum Kind { BYTES, INT, BOOL, STRING }

    static final class Opt {
        final String name;
        final Kind kind;
        final int zopt;
        final boolean settable;
        final boolean gettable;
        /** A socket type on which setting it is meaningful, for the hello probe. */
        final String probeType;

        Opt(String name, Kind kind, int zopt, boolean settable, boolean gettable, String probeType) {
            this.name = name;
            this.kind = kind;
            this.zopt = zopt;
            this.settable = settable;
            this.gettable = gettable;
            this.probeType = probeType;
        }
    }

    /** Supported options in the protocol's order. */
    static final Map<String, Opt> SUPPORTED = new LinkedHashMap<>();

    /** Option names of the protocol JeroMQ 0.3.6 lacks. */
    static final List<String> MISSING = List.of("connect_routing_id", "probe_router", "req_relaxed", "req_correlate",
            "xpub_manual", "xpub_welcome_msg", "invert_matching", "conflate", "heartbeat_ivl", "heartbeat_timeout",
            "heartbeat_ttl", "router_notify", "topics_count");
    /**
     * The security options (docs/peer-protocol.md "Security"): JeroMQ 0.3.6 speaks ZMTP/2.0,
     * which has no mechanisms (PLAIN and CURVE came with ZMTP/3.0), and has no ZAP.
     */
    static final List<String> NO_SECURITY = List.of("plain_server", "plain_username", "plain_password", "curve_server",
            "curve_publickey", "curve_secretkey", "curve_serverkey", "zap_domain", "handshake_ivl", "mechanism");

    private static void add(String name, Kind kind, int zopt, boolean set, boolean get, String probeType) {
        SUPPORTED.put(name, new Opt(name, kind, zopt, set, get, probeType));
    }

    static {
        add("subscribe", Kind.BYTES, ZMQ.ZMQ_SUBSCRIBE, true, false, "SUB");
        add("unsubscribe", Kind.BYTES, ZMQ.ZMQ_UNSUBSCRIBE, true, false, "SUB");
        add("routing_id", Kind.BYTES, ZMQ.ZMQ_IDENTITY, true, true, "DEALER");
        add("sndhwm", Kind.INT, ZMQ.ZMQ_SNDHWM, true, true, "PUSH");
        add("rcvhwm", Kind.INT, ZMQ.ZMQ_RCVHWM, true, true, "PULL");
        add("linger", Kind.INT, ZMQ.ZMQ_LINGER, true, true, "PUSH");
        add("sndtimeo", Kind.INT, ZMQ.ZMQ_SNDTIMEO, true, true, "PUSH");
        add("rcvtimeo", Kind.INT, ZMQ.ZMQ_RCVTIMEO, true, true, "PULL");
        add("maxmsgsize", Kind.INT, ZMQ.ZMQ_MAXMSGSIZE, true, true, "PULL");
        add("router_mandatory", Kind.BOOL, ZMQ.ZMQ_ROUTER_MANDATORY, true, false, "ROUTER");
        add("xpub_verbose", Kind.BOOL, ZMQ.ZMQ_XPUB_VERBOSE, true, false, "XPUB");
        add("xpub_verboser", Kind.BOOL, ZMQ.ZMQ_XPUB_VERBOSE_UNSUBSCRIBE, true, false, "XPUB");
        add("xpub_nodrop", Kind.BOOL, ZMQ.ZMQ_XPUB_NODROP, true, false, "XPUB");
        add("immediate", Kind.BOOL, ZMQ.ZMQ_DELAY_ATTACH_ON_CONNECT, true, true, "PUSH");
        add("last_endpoint", Kind.STRING, ZMQ.ZMQ_LAST_ENDPOINT, false, true, null);
        add("rcvmore", Kind.BOOL, ZMQ.ZMQ_RCVMORE, false, true, null);
    }

    static Opt get(String name) throws PeerError {
        Opt o = SUPPORTED.get(name);
        if (o != null) {
            return o;
        }
        if (MISSING.contains(name)) {
            throw PeerError.of(PeerError.UNSUPPORTED, "option %s: JeroMQ 0.3.6 (libzmq 3.2 API) does not have it", name);
        }
        if (NO_SECURITY.contains(name)) {
            throw PeerError.of(PeerError.UNSUPPORTED,
                    "option %s: JeroMQ 0.3.6 has no security mechanisms (ZMTP/2.0: NULL only) and no ZAP", name);
        }
        throw PeerError.of(PeerError.UNSUPPORTED, "option %s: unknown to this peer", name);
    }

    static String nameOf(int zopt) {
        for (Opt o : SUPPORTED.values()) {
            if (o.zopt == zopt) {
                return o.name;
            }
        }
        return "option " + zopt;
    }

    /** The Java value JeroMQ's setSocketOpt casts to for this option (it casts, so types matter). */
    static Object decode(Opt o, Object v) throws PeerError {
        switch (o.kind) {
            case BYTES:
                if (v == null || v == Json.NULL) {
                    return new byte[0];
                }
                if (!(v instanceof String)) {
                    throw PeerError.of(PeerError.INVAL, "setopt %s: value must be a base64 string", o.name);
                }
                try {
                    return Base64.getDecoder().decode((String) v);
                } catch (IllegalArgumentException e) {
                    throw PeerError.of(PeerError.INVAL, "setopt %s: value is not base64: %s", o.name, e.getMessage());
                }
            case BOOL: {
                long n = number(o, v);
                return n != 0 ? 1 : 0;
            }
            case INT: {
                long n = number(o, v);
                if (o.zopt == ZMQ.ZMQ_MAXMSGSIZE) {
                    return n; // a long in JeroMQ (int64 in libzmq)
                }
                if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
                    throw PeerError.of(PeerError.INVAL, "setopt %s: %d does not fit an int", o.name, n);
                }
                return (int) n;
            }
            default:
                throw PeerError.of(PeerError.INVAL, "setopt %s: read-only", o.name);
        }
    }

    /** Bools may arrive as true/false or as numbers; ints as numbers (or bools, as 0/1). */
    private static long number(Opt o, Object v) throws PeerError {
        if (v instanceof Boolean) {
            return ((Boolean) v) ? 1 : 0;
        }
        try {
            return Req.asLong(v, "setopt " + o.name + ": value");
        } catch (PeerError e) {
            throw new PeerError(PeerError.INVAL, e.getMessage());
        }
    }

    /** The protocol's JSON value for what JeroMQ returned. */
    static Object encode(Opt o, Object raw) throws PeerError {
        switch (o.kind) {
            case BYTES:
                byte[] b = raw instanceof byte[] ? (byte[]) raw : raw == null ? new byte[0]
                        : String.valueOf(raw).getBytes(StandardCharsets.UTF_8);
                return Base64.getEncoder().encodeToString(b);
            case BOOL:
                return raw instanceof Number ? ((Number) raw).longValue() != 0 : Boolean.TRUE.equals(raw);
            case INT:
                if (raw instanceof Number) {
                    return ((Number) raw).longValue();
                }
                throw PeerError.of(PeerError.OTHER, "getopt %s: JeroMQ returned %s", o.name, raw);
            case STRING:
            default:
                return raw == null ? "" : String.valueOf(raw);
        }
    }

    static List<String> names() {
        return new ArrayList<>(SUPPORTED.keySet());
    }
}
