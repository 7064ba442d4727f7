package zmqsuite.jeromq;

import static zmqsuite.jeromq.Check.eq;
import static zmqsuite.jeromq.Check.fails;
import static zmqsuite.jeromq.Check.hex;
import static zmqsuite.jeromq.Check.test;
import static zmqsuite.jeromq.Check.unhex;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The content pattern and the digest. Expected bytes come from the document's example and from
 * an independent computation (Python's zlib.crc32 and struct), not from this code.
 */
public final class ContentTest {
    public static void main(String[] args) {
        test("document example: seq 1, frame 0, 14 bytes", () -> {
            byte[] b = new byte[14];
            Content.fill(b, 1, 0);
            eq("0000000000000001000000008f90", hex(b), "bytes");
        });
        test("short frames have no header", () -> {
            byte[] b = new byte[11];
            Content.fill(b, 2, 3);
            // (2*131 + 3*17 + k) mod 256 = (313 + k) mod 256 = 57 + k
            StringBuilder want = new StringBuilder();
            for (int k = 0; k < 11; k++) {
                want.append(String.format("%02x", (57 + k) & 0xff));
            }
            eq(want.toString(), hex(b), "bytes");
            Content.fill(new byte[0], 5, 0); // an empty frame is legal
        });
        test("header carries seq and frame index, big-endian", () -> {
            byte[] b = new byte[12];
            Content.fill(b, 0x0102030405060708L, 0x0a0b0c0d);
            eq("01020304050607080a0b0c0d", hex(b), "header");
        });
        test("wrap-around beyond 2^63 keeps the byte rule", () -> {
            byte[] b = new byte[13];
            long seq = -1L; // 2^64 - 1
            Content.fill(b, seq, 1);
            // ((2^64-1)*131 + 17 + 12) mod 256 = (-131 + 29) mod 256 = 154
            eq("ffffffffffffffff000000019a", hex(b), "bytes");
        });
        test("plan: prefix frames first, data frame index excludes them", () -> {
            Map<String, Object> p = Json.obj("count", 2L, "start", 41206L, "frames", 2L, "size", 12L,
                    "prefix", List.of(Base64.getEncoder().encodeToString("topic".getBytes())));
            Content.Plan plan = Content.Plan.parse(p);
            List<byte[]> m = plan.message(1);
            eq(3, m.size(), "frames");
            eq("topic", new String(m.get(0)), "prefix");
            eq("000000000000a0f700000000", hex(m.get(1)), "data frame 0 of seq 41207");
            eq("000000000000a0f700000001", hex(m.get(2)), "data frame 1 of seq 41207");
        });
        test("plan: sizes override frames and size; defaults", () -> {
            Content.Plan plan = Content.Plan.parse(Json.obj("count", 1L, "frames", 5L, "size", 99L, "sizes", List.of(0L, 3L)));
            List<byte[]> m = plan.message(0);
            eq(2, m.size(), "frames");
            eq("", hex(m.get(0)), "empty frame");
            eq("111213", hex(m.get(1)), "3-byte frame of seq 0, frame 1: 17+k");
            eq(1, Content.Plan.parse(Json.obj("count", 1L, "size", 4L)).message(0).size(), "frames default to one");
            fails(PeerError.class, () -> Content.Plan.parse(Json.obj("count", -1L)), "negative count");
            fails(PeerError.class, () -> Content.Plan.parse(Json.obj("size", 1L)), "missing count");
            fails(PeerError.class, () -> Content.Plan.parse(Json.obj("count", 1L, "sizes", List.of(-1L))), "negative size");
        });
        test("digest of the document's example message", () -> {
            byte[] out = new byte[16];
            Content.digest(List.of(unhex("0000000000000001000000008f90")), out, 0);
            eq("0000000000000001600bcb4c00000001", hex(out), "digest");
        });
        test("digest: seq from the first frame of 12 bytes or more", () -> {
            byte[] out = new byte[32];
            Content.digest(List.of("topic".getBytes(), unhex("0000000000000001000000008f90")), out, 16);
            eq("00000000000000015aac4d4000000002", hex(out).substring(32), "digest at offset 16");
        });
        test("digest: no long frame gives all-ones seq; empty frames count", () -> {
            byte[] out = new byte[16];
            Content.digest(List.of(new byte[0], "abc".getBytes()), out, 0);
            eq("ffffffffffffffffb35786d200000002", hex(out), "digest");
            Content.digest(List.of(), out, 0);
            eq("ffffffffffffffff0000000000000000", hex(out), "empty message");
        });
        Check.finish("ContentTest");
    }
}
