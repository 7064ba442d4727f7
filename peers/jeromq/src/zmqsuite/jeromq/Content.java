package zmqsuite.jeromq;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The content pattern of plans and the digest of received messages (docs/peer-protocol.md,
 * "Plans and the content pattern" and recv_batch's digest mode). Every peer must produce the
 * same bytes: the harness verifies them and names the first message that differs.
 */
final class Content {
    private Content() {}

    /** A frame of this many bytes or more starts with seq (uint64) and its frame index (uint32). */
    static final int HEADER_LEN = 12;

    /** Bytes per message in a digest: seq (8), CRC-32 (4), frame count (4). */
    static final int DIGEST_LEN = 16;

    /**
     * Fills b as data frame {@code frame} of message {@code seq}: the header when b holds 12 bytes
     * or more, then byte k = (seq·131 + frame·17 + k) mod 256. Arithmetic wraps modulo 2^64,
     * which keeps the value mod 256 exact for any seq.
     */
    static void fill(byte[] b, long seq, int frame) {
        int start = 0;
        if (b.length >= HEADER_LEN) {
            putU64(b, 0, seq);
            putU32(b, 8, frame);
            start = HEADER_LEN;
        }
        long base = seq * 131 + (long) frame * 17;
        for (int k = start; k < b.length; k++) {
            b[k] = (byte) (base + k);
        }
    }

    /** A plan as the request gives it. */
    static final class Plan {
        final long count;
        final long start;
        final int[] sizes;      // per data frame
        final List<byte[]> prefix;

        Plan(long count, long start, int[] sizes, List<byte[]> prefix) {
            this.count = count;
            this.start = start;
            this.sizes = sizes;
            this.prefix = prefix;
        }

        /** Message i (0-based): the prefix frames, then the data frames for seq = start + i. */
        List<byte[]> message(long i) {
            List<byte[]> m = new ArrayList<>(prefix.size() + sizes.length);
            for (byte[] p : prefix) {
                m.add(p.clone()); // the binding may keep the array it was handed
            }
            for (int j = 0; j < sizes.length; j++) {
                byte[] b = new byte[sizes[j]];
                fill(b, start + i, j);
                m.add(b);
            }
            return m;
        }

        /**
         * Reads {"count","start","frames","size","sizes","prefix"}. Missing start is 0; missing
         * or 0 frames is one frame (as the Go reference does; the document does not say);
         * "sizes" overrides frames and size. Negative numbers are refused as invalid.
         */
        static Plan parse(Map<String, Object> p) throws PeerError {
            if (!p.containsKey("count")) {
                throw PeerError.of(PeerError.PROTOCOL, "plan: \"count\" is missing");
            }
            long count = num(p, "count", 0);
            if (count < 0) {
                throw PeerError.of(PeerError.INVAL, "plan: \"count\" is negative");
            }
            long start = num(p, "start", 0);
            long frames = num(p, "frames", 1);
            long size = num(p, "size", 0);
            if (start < 0 || frames < 0 || size < 0) {
                throw PeerError.of(PeerError.INVAL, "plan: negative start, frames or size");
            }
            int[] sizes;
            Object sz = p.get("sizes");
            if (sz instanceof List && !((List<?>) sz).isEmpty()) {
                List<?> l = (List<?>) sz;
                sizes = new int[l.size()];
                for (int i = 0; i < sizes.length; i++) {
                    long n = Req.asLong(l.get(i), "plan: sizes[" + i + "]");
                    if (n < 0 || n > Integer.MAX_VALUE) {
                        throw PeerError.of(PeerError.INVAL, "plan: frame size %d out of range", n);
                    }
                    sizes[i] = (int) n;
                }
            } else if (sz != null && sz != Json.NULL && !(sz instanceof List)) {
                throw PeerError.of(PeerError.PROTOCOL, "plan: \"sizes\" must be a list of integers");
            } else {
                if (frames == 0) {
                    frames = 1;
                }
                if (frames > 1_000_000 || size > Integer.MAX_VALUE) {
                    throw PeerError.of(PeerError.INVAL, "plan: %d frames of %d bytes is out of range", frames, size);
                }
                sizes = new int[(int) frames];
                java.util.Arrays.fill(sizes, (int) size);
            }
            List<byte[]> prefix = new ArrayList<>();
            Object pre = p.get("prefix");
            if (pre != null && pre != Json.NULL) {
                prefix = Req.framesOf(pre, "plan: \"prefix\"");
            }
            return new Plan(count, start, sizes, prefix);
        }

        private static long num(Map<String, Object> p, String key, long dflt) throws PeerError {
            Object v = p.get(key);
            if (v == null || v == Json.NULL) {
                return dflt;
            }
            return Req.asLong(v, "plan: \"" + key + "\"");
        }
    }

    /**
     * Appends the 16-byte digest of one message to out at offset off: seq from the first frame of
     * 12 bytes or more (all ones if none), the CRC-32 (IEEE) of every frame as a big-endian
     * uint32 length followed by its bytes, and the frame count.
     */
    static void digest(List<byte[]> frames, byte[] out, int off) {
        long seq = -1L; // 0xFFFFFFFFFFFFFFFF
        for (byte[] f : frames) {
            if (f.length >= HEADER_LEN) {
                seq = getU64(f, 0);
                break;
            }
        }
        CRC32 crc = new CRC32();
        byte[] len = new byte[4];
        for (byte[] f : frames) {
            putU32(len, 0, f.length);
            crc.update(len, 0, 4);
            crc.update(f, 0, f.length);
        }
        putU64(out, off, seq);
        putU32(out, off + 8, (int) crc.getValue());
        putU32(out, off + 12, frames.size());
    }

    static void putU64(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static void putU32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static long getU64(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }
}
