package zmqsuite.jeromq;

import static zmqsuite.jeromq.Check.eq;
import static zmqsuite.jeromq.Check.fails;
import static zmqsuite.jeromq.Check.test;
import static zmqsuite.jeromq.Check.truth;

import java.util.List;
import java.util.Map;

/** The JSON codec: what the protocol sends, the escapes RFC 8259 allows, and what it forbids. */
public final class JsonTest {
    public static void main(String[] args) {
        test("request object", () -> {
            Object v = Json.parse("{\"id\":7,\"op\":\"send\",\"frames\":[\"aGk=\",\"\"],\"timeout_ms\":0,\"async\":true,\"x\":null}");
            Map<?, ?> m = (Map<?, ?>) v;
            eq(7L, m.get("id"), "id");
            eq("send", m.get("op"), "op");
            eq(List.of("aGk=", ""), m.get("frames"), "frames");
            eq(0L, m.get("timeout_ms"), "timeout");
            eq(Boolean.TRUE, m.get("async"), "async");
            truth(m.get("x") == Json.NULL, "null is NULL, not absent");
            truth(!m.containsKey("y"), "absent key");
        });
        test("numbers", () -> {
            eq(-12L, Json.parse("-12"), "negative");
            eq(0L, Json.parse("0"), "zero");
            eq(1.5, Json.parse("1.5"), "fraction");
            eq(1000.0, Json.parse("1e3"), "exponent");
            eq(9223372036854775807L, Json.parse("9223372036854775807"), "max long");
            truth(Json.parse("18446744073709551616") instanceof Double, "beyond 64 bits is a double");
            fails(Json.ParseException.class, () -> Json.parse("01"), "leading zero");
            fails(Json.ParseException.class, () -> Json.parse("1."), "dot without digits");
            fails(Json.ParseException.class, () -> Json.parse("-"), "lone minus");
            fails(Json.ParseException.class, () -> Json.parse("+1"), "plus sign");
            fails(Json.ParseException.class, () -> Json.parse("1e"), "empty exponent");
        });
        test("string escapes", () -> {
            eq("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""), "short escapes");
            eq("\u00e9\u4e2d", Json.parse("\"\\u00e9\\u4E2D\""), "BMP escapes");
            eq("\ud83d\ude00", Json.parse("\"\\ud83d\\ude00\""), "surrogate pair escapes");
            eq("\ud83d\ude00", Json.parse("\"\ud83d\ude00\""), "raw astral character");
            eq("\ufffd", Json.parse("\"\\ud83d\""), "lone high surrogate becomes U+FFFD");
            eq("\ufffdx", Json.parse("\"\\ude00x\""), "lone low surrogate becomes U+FFFD");
            eq("\ufffd\u0041", Json.parse("\"\\ud83d\\u0041\""), "high surrogate then a non-surrogate escape");
            fails(Json.ParseException.class, () -> Json.parse("\"\\x\""), "unknown escape");
            fails(Json.ParseException.class, () -> Json.parse("\"\\u12\""), "short \\u");
            fails(Json.ParseException.class, () -> Json.parse("\"\\u12G4\""), "bad hex");
            fails(Json.ParseException.class, () -> Json.parse("\"a\nb\""), "raw control character");
            fails(Json.ParseException.class, () -> Json.parse("\"abc"), "unterminated");
        });
        test("structure errors", () -> {
            fails(Json.ParseException.class, () -> Json.parse("{\"a\":1,}"), "trailing comma in object");
            fails(Json.ParseException.class, () -> Json.parse("[1,]"), "trailing comma in array");
            fails(Json.ParseException.class, () -> Json.parse("{a:1}"), "unquoted key");
            fails(Json.ParseException.class, () -> Json.parse("{\"a\" 1}"), "missing colon");
            fails(Json.ParseException.class, () -> Json.parse("{} x"), "trailing garbage");
            fails(Json.ParseException.class, () -> Json.parse(""), "empty input");
            fails(Json.ParseException.class, () -> Json.parse("tru"), "truncated literal");
            fails(Json.ParseException.class, () -> Json.parse("NaN"), "NaN");
            fails(Json.ParseException.class, () -> Json.parse("[".repeat(1000) + "]".repeat(1000)), "too deep");
            eq(List.of(), Json.parse(" [ ] "), "empty array with space");
            eq(Map.of(), Json.parse("\t{\r\n}"), "empty object with space");
        });
        test("writer", () -> {
            eq("{\"id\":3,\"ok\":true,\"v\":[1,2.5,null,false],\"s\":\"q\\\"\\\\\\n\\u0001\"}",
                    Json.write(Json.obj("id", 3L, "ok", true, "v", List.of(1, 2.5, Json.NULL, false), "s", "q\"\\\n\u0001")),
                    "object");
            eq("\"\u00e9\ud83d\ude00\"", Json.write("\u00e9\ud83d\ude00"), "non-ASCII goes out as is");
            eq("\"\\ud83d\"", Json.write("\ud83d"), "a lone surrogate is escaped");
            eq("12", Json.write(12.0), "integral double");
            eq("1.0E20", Json.write(1e20), "large double");
            fails(IllegalArgumentException.class, () -> Json.write(Double.NaN), "NaN refused");
            fails(IllegalArgumentException.class, () -> Json.write(new byte[1]), "byte[] refused");
        });
        test("round trip", () -> {
            String[] docs = {"{\"a\":[{\"b\":\"\\u0000\"},-1,0.25,true,null],\"c\":\"\ud83d\ude00\"}", "[]", "\"\"", "-0.5"};
            for (String d : docs) {
                Object v = Json.parse(d);
                eq(v, Json.parse(Json.write(v)), "round trip of " + d);
            }
        });
        Check.finish("JsonTest");
    }
}
