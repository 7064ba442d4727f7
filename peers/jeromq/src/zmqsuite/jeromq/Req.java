package zmqsuite.jeromq;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Typed access to the fields of one request. A field of the wrong JSON type, or a required one
 * that is missing, is a "protocol" error: the request is malformed, the binding is not asked.
 */
final class Req {
    final Map<String, Object> m;
    final long id;
    final String op;

    Req(Map<String, Object> m) throws PeerError {
        this.m = m;
        Object id = m.get("id");
        if (!(id instanceof Long)) {
            throw PeerError.of(PeerError.PROTOCOL, "request has no integer \"id\"");
        }
        this.id = (Long) id;
        Object op = m.get("op");
        if (!(op instanceof String)) {
            throw PeerError.of(PeerError.PROTOCOL, "request has no string \"op\"");
        }
        this.op = (String) op;
    }

    boolean has(String key) {
        Object v = m.get(key);
        return v != null && v != Json.NULL;
    }

    String str(String key) throws PeerError {
        Object v = m.get(key);
        if (v instanceof String) {
            return (String) v;
        }
        throw PeerError.of(PeerError.PROTOCOL, "%s: field \"%s\" must be a string%s", op, key, v == null ? " (missing)" : "");
    }

    String str(String key, String dflt) throws PeerError {
        return has(key) ? str(key) : dflt;
    }

    long integer(String key) throws PeerError {
        return asLong(m.get(key), op + ": field \"" + key + "\"");
    }

    long integer(String key, long dflt) throws PeerError {
        return has(key) ? integer(key) : dflt;
    }

    boolean bool(String key, boolean dflt) throws PeerError {
        Object v = m.get(key);
        if (v == null || v == Json.NULL) {
            return dflt;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        throw PeerError.of(PeerError.PROTOCOL, "%s: field \"%s\" must be true or false", op, key);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(String key) throws PeerError {
        Object v = m.get(key);
        if (v instanceof Map) {
            return (Map<String, Object>) v;
        }
        throw PeerError.of(PeerError.PROTOCOL, "%s: field \"%s\" must be an object%s", op, key, v == null ? " (missing)" : "");
    }

    /** A message: a list of base64 frames. */
    List<byte[]> frames(String key) throws PeerError {
        return framesOf(m.get(key), op + ": \"" + key + "\"");
    }

    /** The "timeout_ms" of a blocking operation in ms: missing means 10 000 (the protocol's default). */
    long timeoutMs() throws PeerError {
        long t = integer("timeout_ms", Main.DEFAULT_TIMEOUT_MS);
        if (t < 0) {
            // Not defined by the protocol; Go's reference server treats it as 0 (do not wait).
            return 0;
        }
        return t;
    }

    static long asLong(Object v, String what) throws PeerError {
        if (v instanceof Long) {
            return (Long) v;
        }
        if (v instanceof Double) {
            double d = (Double) v;
            if (d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15) {
                return (long) d; // 1e3 or 5.0: integral, as JSON does not distinguish
            }
        }
        throw PeerError.of(PeerError.PROTOCOL, "%s must be an integer%s", what, v == null ? " (missing)" : "");
    }

    static List<byte[]> framesOf(Object v, String what) throws PeerError {
        if (!(v instanceof List)) {
            throw PeerError.of(PeerError.PROTOCOL, "%s must be a list of base64 frames%s", what, v == null ? " (missing)" : "");
        }
        List<?> in = (List<?>) v;
        List<byte[]> out = new ArrayList<>(in.size());
        for (int i = 0; i < in.size(); i++) {
            out.add(base64(in.get(i), what + " frame " + i));
        }
        return out;
    }

    static byte[] base64(Object v, String what) throws PeerError {
        if (!(v instanceof String)) {
            throw PeerError.of(PeerError.PROTOCOL, "%s must be a base64 string", what);
        }
        try {
            return Base64.getDecoder().decode((String) v);
        } catch (IllegalArgumentException e) {
            throw PeerError.of(PeerError.PROTOCOL, "%s is not standard base64: %s", what, e.getMessage());
        }
    }
}
