package zmqsuite.jeromq;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Benchmark loops (docs/peer-protocol.md, "bench"), run inside the peer so the control channel
 * is never timed. Semantics follow the document; where it is silent (which message sizes read
 * the clock on every message, per-operation timeouts inside the loops, the "stopped" strings)
 * they follow the Go reference peer, so results of different peers compare.
 */
final class Bench {
    private Bench() {}

    /** How long a blocked loop waits before it looks at its cancel flag again. */
    static final int POLL_SLICE_MS = 100;
    /** Per-operation bound inside timed loops: a peer that stops answering ends the run. */
    static final int OP_TIMEOUT_MS = 5000;

    static Map<String, Object> run(Sock sock, Map<String, Object> spec, AtomicBoolean cancel) throws PeerError {
        Object modeV = spec.get("mode");
        if (!(modeV instanceof String)) {
            throw PeerError.of(PeerError.PROTOCOL, "bench: \"mode\" must be a string");
        }
        String mode = (String) modeV;
        long size = num(spec, "size", 0);
        long durationMs = num(spec, "duration_ms", 0);
        if (size < 0 || durationMs < 0 || size > Integer.MAX_VALUE) {
            throw PeerError.of(PeerError.INVAL, "bench: negative or huge size or duration");
        }
        long firstMs = num(spec, "first_timeout_ms", 0);
        if (firstMs <= 0) {
            firstMs = 10_000;
        }
        long maxRunMs = num(spec, "max_run_ms", 0);
        if (maxRunMs <= 0) {
            maxRunMs = durationMs + 30_000;
        }
        long deadline = System.nanoTime() + maxRunMs * 1_000_000L;
        switch (mode) {
            case "thr_send":
                return thrSend(sock, (int) size, cancel, deadline);
            case "thr_recv":
                return thrRecv(sock, durationMs, firstMs, cancel);
            case "lat_ping":
                return latPing(sock, (int) size, durationMs, firstMs, cancel);
            case "lat_pong":
                return latPong(sock, cancel, deadline);
            default:
                throw PeerError.of(PeerError.INVAL, "bench: unknown mode %s (want thr_send, thr_recv, lat_ping, lat_pong)", mode);
        }
    }

    private static long num(Map<String, Object> spec, String key, long dflt) throws PeerError {
        Object v = spec.get(key);
        return v == null || v == Json.NULL ? dflt : Req.asLong(v, "bench: \"" + key + "\"");
    }

    private static Map<String, Object> result(long messages, long bytes, long elapsedNs, String stopped) {
        Map<String, Object> r = Json.obj("messages", messages, "bytes", bytes, "elapsed_ns", elapsedNs);
        if (stopped != null) {
            r.put("stopped", stopped);
        }
        return r;
    }

    /** Sends size-byte single-frame messages until cancelled, the run limit, or a real failure. */
    static Map<String, Object> thrSend(Sock sock, int size, AtomicBoolean cancel, long deadline) {
        byte[] msg = new byte[size]; // JeroMQ wraps, never modifies, what it is given
        long n = 0;
        long start = System.nanoTime();
        while (true) {
            if ((n & 255) == 0 && (cancel.get() || System.nanoTime() - deadline > 0)) {
                return result(n, n * size, System.nanoTime() - start, "cancelled");
            }
            boolean sent;
            try {
                sent = sock.trySendFrame(msg, POLL_SLICE_MS);
            } catch (PeerError e) {
                return result(n, n * size, System.nanoTime() - start, e.category + ": " + e.getMessage());
            }
            if (!sent) {
                if (cancel.get() || System.nanoTime() - deadline > 0) {
                    return result(n, n * size, System.nanoTime() - start, "cancelled");
                }
                continue;
            }
            n++;
        }
    }

    /**
     * Counts messages for durationMs from the first one (as libzmq's local_thr). The clock is
     * read every 64 messages, or after every message of 1 KiB or more; the result counts the
     * messages up to the last reading. One second of silence ends the run early.
     */
    static Map<String, Object> thrRecv(Sock sock, long durationMs, long firstMs, AtomicBoolean cancel) throws PeerError {
        long n0;
        try {
            n0 = sock.recvSize(firstMs, cancel);
        } catch (PeerError e) {
            throw e.prefixed("bench: waiting for the first message");
        }
        long start = System.nanoTime();
        long every = n0 >= 1024 ? 1 : 64;
        long messages = 1;
        long bytes = n0;
        long timedMessages = 1;
        long timedBytes = n0;
        long last = start;
        long end = start + durationMs * 1_000_000L;
        String stopped = null;
        while (true) {
            long n;
            try {
                n = sock.recvSize(1000, cancel);
            } catch (PeerError e) {
                if (e.category.equals(PeerError.AGAIN)) {
                    stopped = "sender went quiet after " + messages + " messages (none for 1 s)";
                    break;
                }
                throw e;
            }
            messages++;
            bytes += n;
            if (messages % every == 0) {
                last = System.nanoTime();
                timedMessages = messages;
                timedBytes = bytes;
                if (last - end > 0) {
                    break;
                }
            }
        }
        return result(timedMessages, timedBytes, last - start, stopped);
    }

    /** Round trips for durationMs after one untimed one; each sample is half a round trip. */
    static Map<String, Object> latPing(Sock sock, int size, long durationMs, long firstMs, AtomicBoolean cancel)
            throws PeerError {
        List<byte[]> msg = List.of(new byte[size]);
        try {
            sock.send(msg, firstMs, cancel);
        } catch (PeerError e) {
            throw e.prefixed("bench: waiting for the first request");
        }
        try {
            sock.recvSize(firstMs, cancel);
        } catch (PeerError e) {
            throw e.prefixed("bench: waiting for the first reply");
        }
        long[] samples = new long[1024];
        int count = 0;
        long start = System.nanoTime();
        long end = start + durationMs * 1_000_000L;
        long t0 = start;
        long messages = 0;
        while (true) {
            sock.send(msg, OP_TIMEOUT_MS, cancel);
            sock.recvSize(OP_TIMEOUT_MS, cancel);
            long t1 = System.nanoTime();
            if (count == samples.length) {
                samples = Arrays.copyOf(samples, count * 2);
            }
            samples[count++] = (t1 - t0) / 2;
            messages++;
            t0 = t1;
            if (t1 - end > 0) {
                break;
            }
        }
        Map<String, Object> r = result(messages, messages * 2 * size, t0 - start, null);
        r.put("latency", summary(samples, count));
        return r;
    }

    /** Exact percentiles of the samples (sorted; the same index rule as the Go reference). */
    static Map<String, Object> summary(long[] samples, int count) {
        if (count == 0) {
            return Json.obj("count", 0L, "mean_ns", 0.0, "p50_ns", 0.0, "p90_ns", 0.0, "p99_ns", 0.0,
                    "p999_ns", 0.0, "max_ns", 0.0, "min_ns", 0.0);
        }
        long[] s = Arrays.copyOf(samples, count);
        Arrays.sort(s);
        double sum = 0;
        for (long v : s) {
            sum += v;
        }
        return Json.obj("count", (long) count, "mean_ns", sum / count, "p50_ns", (double) q(s, .5),
                "p90_ns", (double) q(s, .9), "p99_ns", (double) q(s, .99), "p999_ns", (double) q(s, .999),
                "max_ns", (double) s[count - 1], "min_ns", (double) s[0]);
    }

    private static long q(long[] sorted, double p) {
        return sorted[(int) (p * (sorted.length - 1))];
    }

    /** Echoes every message (REP, or ROUTER with its envelope) until cancelled. */
    static Map<String, Object> latPong(Sock sock, AtomicBoolean cancel, long deadline) {
        long messages = 0;
        long start = System.nanoTime();
        while (!cancel.get() && System.nanoTime() - deadline < 0) {
            List<byte[]> m;
            try {
                m = sock.recv(POLL_SLICE_MS, cancel);
            } catch (PeerError e) {
                if (e.category.equals(PeerError.AGAIN)) {
                    continue;
                }
                return result(messages, 0, System.nanoTime() - start, e.category + ": " + e.getMessage());
            }
            try {
                sock.send(m, OP_TIMEOUT_MS, cancel);
            } catch (PeerError e) {
                return result(messages, 0, System.nanoTime() - start, e.category + ": " + e.getMessage());
            }
            messages++;
        }
        return result(messages, 0, System.nanoTime() - start, "cancelled");
    }
}
