package zmqsuite.jeromq;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and writer for the subset the peer protocol uses (RFC 8259: objects,
 * arrays, strings, numbers, true, false, null). The JDK has none, and the peer may not pull a
 * library in, so this is written for the protocol: strict on input (a malformed request must be
 * refused, never half-understood), deterministic on output (object keys in insertion order).
 *
 * <p>Values: objects are {@code Map<String,Object>} (insertion-ordered), arrays
 * {@code List<Object>}, strings {@code String}, integers that fit {@code Long}, other numbers
 * {@code Double}, booleans {@code Boolean}, and null {@link #NULL}, so that a key present with
 * null is told apart from a missing key.
 */
public final class Json {
    private Json() {}

    /** The JSON null value (a key mapped to it is present; Map.get() == null means absent). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Nesting limit: requests are shallow; a deeper document is refused, not a stack overflow. */
    static final int MAX_DEPTH = 256;

    /** A document that is not JSON, with the offset where reading stopped. */
    public static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;

        public final int offset;

        ParseException(String message, int offset) {
            super(message + " at offset " + offset);
            this.offset = offset;
        }
    }

    // ------------------------------------------------------------------------------ reading

    /** Parses one complete JSON value; anything but white space after it is an error. */
    public static Object parse(String text) throws ParseException {
        Reader r = new Reader(text);
        r.skipSpace();
        Object v = r.value(0);
        r.skipSpace();
        if (r.pos != text.length()) {
            throw new ParseException("trailing characters after the value", r.pos);
        }
        return v;
    }

    private static final class Reader {
        final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        ParseException error(String what) {
            return new ParseException(what, pos);
        }

        void skipSpace() {
            // RFC 8259 white space only: space, tab, LF, CR.
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        Object value(int depth) throws ParseException {
            if (depth > MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH);
            }
            if (pos >= s.length()) {
                throw error("unexpected end of input");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object(depth);
                case '[':
                    return array(depth);
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return NULL;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("unexpected character '" + printable(c) + "'");
            }
        }

        void literal(String word) throws ParseException {
            if (!s.startsWith(word, pos)) {
                throw error("invalid literal (want " + word + ")");
            }
            pos += word.length();
        }

        Map<String, Object> object(int depth) throws ParseException {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++; // '{'
            skipSpace();
            if (peek() == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipSpace();
                if (peek() != '"') {
                    throw error("object key must be a string");
                }
                String key = string();
                skipSpace();
                if (peek() != ':') {
                    throw error("expected ':' after object key");
                }
                pos++;
                skipSpace();
                Object v = value(depth + 1);
                // Duplicate keys: the last wins (as Go's encoding/json and Python's json do).
                m.put(key, v);
                skipSpace();
                char c = peek();
                if (c == ',') {
                    pos++;
                    continue;
                }
                if (c == '}') {
                    pos++;
                    return m;
                }
                throw error("expected ',' or '}' in object");
            }
        }

        List<Object> array(int depth) throws ParseException {
            List<Object> a = new ArrayList<>();
            pos++; // '['
            skipSpace();
            if (peek() == ']') {
                pos++;
                return a;
            }
            while (true) {
                skipSpace();
                a.add(value(depth + 1));
                skipSpace();
                char c = peek();
                if (c == ',') {
                    pos++;
                    continue;
                }
                if (c == ']') {
                    pos++;
                    return a;
                }
                throw error("expected ',' or ']' in array");
            }
        }

        /** The character at pos, or 0 at the end (never a valid token start here). */
        char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        String string() throws ParseException {
            pos++; // opening quote
            StringBuilder b = null; // only allocated when the string has escapes
            int start = pos;
            while (true) {
                if (pos >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String out = b == null ? s.substring(start, pos) : b.append(s, start, pos).toString();
                    pos++;
                    return out;
                }
                if (c < 0x20) {
                    throw error("control character U+" + hex4(c) + " in string (must be escaped)");
                }
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (b == null) {
                    b = new StringBuilder();
                }
                b.append(s, start, pos);
                pos++; // backslash
                if (pos >= s.length()) {
                    throw error("unterminated escape");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"': b.append('"'); break;
                    case '\\': b.append('\\'); break;
                    case '/': b.append('/'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u': appendUnicodeEscape(b); break;
                    default:
                        pos--;
                        throw error("invalid escape '\\" + printable(e) + "'");
                }
                start = pos;
            }
        }

        /**
         * Appends the code point of a \\uXXXX escape (pos is after the 'u'). A surrogate pair
         * written as two escapes becomes one code point; a lone surrogate becomes U+FFFD, as Go's
         * encoding/json does, because a Java String holding it could not be encoded back as UTF-8.
         */
        void appendUnicodeEscape(StringBuilder b) throws ParseException {
            char u = hexQuad();
            if (Character.isHighSurrogate(u)) {
                if (s.startsWith("\\u", pos)) {
                    int save = pos;
                    pos += 2;
                    char low = hexQuad();
                    if (Character.isLowSurrogate(low)) {
                        b.append(u).append(low);
                        return;
                    }
                    pos = save; // not a pair: the second escape stands on its own
                }
                b.append('\uFFFD');
                return;
            }
            if (Character.isLowSurrogate(u)) {
                b.append('\uFFFD');
                return;
            }
            b.append(u);
        }

        char hexQuad() throws ParseException {
            if (pos + 4 > s.length()) {
                throw error("truncated \\u escape");
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(s.charAt(pos + i), 16);
                if (d < 0) {
                    throw error("invalid hex digit in \\u escape");
                }
                v = v * 16 + d;
            }
            pos += 4;
            return (char) v;
        }

        Object number() throws ParseException {
            int start = pos;
            boolean integral = true;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
            } else if (peek() >= '1' && peek() <= '9') {
                while (peek() >= '0' && peek() <= '9') {
                    pos++;
                }
            } else {
                throw error("invalid number");
            }
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!(peek() >= '0' && peek() <= '9')) {
                    throw error("digit expected after '.'");
                }
                while (peek() >= '0' && peek() <= '9') {
                    pos++;
                }
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!(peek() >= '0' && peek() <= '9')) {
                    throw error("digit expected in exponent");
                }
                while (peek() >= '0' && peek() <= '9') {
                    pos++;
                }
            }
            String lit = s.substring(start, pos);
            if (integral) {
                try {
                    return Long.parseLong(lit);
                } catch (NumberFormatException tooBig) {
                    // Beyond 64 bits: keep it as a double (as Go does for any number in an any).
                }
            }
            return Double.parseDouble(lit);
        }
    }

    // ------------------------------------------------------------------------------ writing

    /** Serialises a value: Map, List, String, Number, Boolean, NULL/null, byte[] is refused. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder(64);
        write(b, v);
        return b.toString();
    }

    public static void write(StringBuilder b, Object v) {
        if (v == null || v == NULL) {
            b.append("null");
        } else if (v instanceof String) {
            quote(b, (String) v);
        } else if (v instanceof Boolean) {
            b.append(((Boolean) v) ? "true" : "false");
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            b.append(((Number) v).longValue());
        } else if (v instanceof Number) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                b.append((long) d); // integral doubles print as integers, as Go prints them
            } else {
                b.append(d);
            }
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List) {
            b.append('[');
            boolean first = true;
            for (Object o : (List<?>) v) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                write(b, o);
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    /**
     * Writes a JSON string. Control characters, quote and backslash are escaped; so are lone
     * surrogates (as \\uXXXX) because UTF-8 cannot carry them; everything else goes out as is
     * (stdout is UTF-8).
     */
    public static void quote(StringBuilder b, String s) {
        b.append('"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); continue;
                case '\\': b.append("\\\\"); continue;
                case '\n': b.append("\\n"); continue;
                case '\r': b.append("\\r"); continue;
                case '\t': b.append("\\t"); continue;
                case '\b': b.append("\\b"); continue;
                case '\f': b.append("\\f"); continue;
                default:
            }
            if (c < 0x20) {
                b.append("\\u").append(hex4(c));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                b.append("\\u").append(hex4(c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
    }

    static String hex4(char c) {
        String h = Integer.toHexString(c);
        return "0000".substring(h.length()) + h;
    }

    static String printable(char c) {
        return c < 0x20 || c > 0x7e ? "U+" + hex4(c) : String.valueOf(c);
    }

    /** A small builder for replies: Json.obj("id", 3, "ok", true). */
    public static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
