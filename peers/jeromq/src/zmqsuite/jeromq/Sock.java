package zmqsuite.jeromq;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import zmq.Msg;
import zmq.SocketBase;
import zmq.ZError;
import zmq.ZMQ;

/**
 * One JeroMQ socket and the discipline around it. JeroMQ sockets are not thread-safe, and a
 * socket may be driven by the request loop and by an async job's thread (one at a time, but
 * the harness may close a socket whose job it has cancelled and not yet collected): every call
 * into the socket happens under {@link #lock}.
 *
 * <p>Blocking calls never block inside JeroMQ for longer than {@link #SLICE_MS}: the peer
 * enforces each request's deadline and each job's cancel flag itself, and the lock is released
 * between slices so that close (and the rare getopt) can get in.
 */
final class Sock {
    /** Longest single wait inside JeroMQ; bounds how late a cancel or close is seen. */
    static final int SLICE_MS = 50;

    final String handle;
    final String type;
    final SocketBase s;
    final Ctxs.Named ctx;

    /** Held by whoever is inside JeroMQ with this socket; fair, so close is not starved by a loop. */
    final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;

    /**
     * SNDTIMEO/RCVTIMEO as the harness set them. The peer drives JeroMQ's own timeouts per call
     * (timeout_ms and the slices), so getopt answers from here, not from JeroMQ.
     */
    private int userSndTimeo = -1;
    private int userRcvTimeo = -1;

    /** The timeout currently set inside JeroMQ, to skip redundant option writes in loops. */
    private int curSndTimeo = Integer.MIN_VALUE;
    private int curRcvTimeo = Integer.MIN_VALUE;

    Sock(String handle, String type, SocketBase s, Ctxs.Named ctx) {
        this.handle = handle;
        this.type = type;
        this.s = s;
        this.ctx = ctx;
    }

    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------------------- locking

    /**
     * Takes the socket for a control operation. A job holds it for one slice at a time, so
     * waiting a few slices is enough; longer means something is stuck inside JeroMQ.
     */
    void acquire(String what) throws PeerError {
        try {
            if (!lock.tryLock(10, TimeUnit.SECONDS)) {
                throw PeerError.of(PeerError.OTHER, "%s: socket %s stayed busy for 10 s (a job is stuck inside JeroMQ)", what, handle);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw PeerError.of(PeerError.OTHER, "%s: interrupted", what);
        }
        if (closed) {
            lock.unlock();
            throw PeerError.of(PeerError.CLOSED, "%s: socket %s is closed", what, handle);
        }
    }

    void release() {
        lock.unlock();
    }

    // ---------------------------------------------------------------------------- endpoints

    String bind(String endpoint) throws PeerError {
        Transports.check(endpoint, "bind");
        acquire("bind");
        try {
            return Transports.bind(s, endpoint);
        } finally {
            release();
        }
    }

    void connect(String endpoint) throws PeerError {
        Transports.check(endpoint, "connect");
        acquire("connect");
        try {
            boolean ok;
            try {
                ok = s.connect(endpoint);
            } catch (RuntimeException e) {
                throw Errors.fromException(e, "connect " + endpoint, false);
            }
            if (!ok) {
                if (endpoint.startsWith("inproc://") && s.errno() != ZError.ETERM) {
                    // Ctx.findEndpoint returns an empty endpoint and sets no errno (the line that
                    // would set ECONNREFUSED is commented out in JeroMQ 0.3.6): libzmq 3.2
                    // semantics, where inproc requires the bind first.
                    throw PeerError.of(PeerError.OTHER, "connect %s: nothing is bound there (JeroMQ 0.3.6 cannot connect "
                            + "an inproc endpoint before it is bound; ECONNREFUSED in libzmq 3.2)", endpoint);
                }
                throw Errors.fromErrno(s.errno(), "connect " + endpoint);
            }
        } finally {
            release();
        }
    }

    /** Unbind and disconnect are one call in JeroMQ (termEndpoint), as in libzmq 3.2. */
    void termEndpoint(String endpoint, String what) throws PeerError {
        Transports.check(endpoint, what);
        acquire(what);
        try {
            boolean ok;
            try {
                ok = s.termEndpoint(endpoint);
            } catch (RuntimeException e) {
                throw Errors.fromException(e, what + " " + endpoint, false);
            }
            if (!ok) {
                if (s.errno() == ZError.ETERM) {
                    throw Errors.fromErrno(ZError.ETERM, what + " " + endpoint);
                }
                // JeroMQ sets no errno here; libzmq says ENOENT. Its endpoints are keyed by the
                // exact string given to bind/connect, so a wildcard bind is only found by the
                // wildcard string, never by the endpoint it resolved to.
                throw PeerError.of(PeerError.OTHER, "%s %s: JeroMQ knows no such endpoint on this socket (ENOENT)", what, endpoint);
            }
        } finally {
            release();
        }
    }

    // ---------------------------------------------------------------------------- options

    void setOption(String name, Object value) throws PeerError {
        OptionMap.Opt o = OptionMap.get(name);
        if (!o.settable) {
            throw PeerError.of(PeerError.INVAL, "setopt %s: the option is read-only", name);
        }
        Object v = OptionMap.decode(o, value);
        acquire("setopt " + name);
        try {
            if (o.name.equals("sndtimeo") || o.name.equals("rcvtimeo")) {
                int t = (Integer) v;
                if (t < -1) {
                    throw PeerError.of(PeerError.INVAL, "setopt %s: %d is below -1", name, t);
                }
                // Set in JeroMQ too, so that it validates as it would; our calls override it.
                apply(o.zopt, t);
                if (o.name.equals("sndtimeo")) {
                    userSndTimeo = t;
                    curSndTimeo = t;
                } else {
                    userRcvTimeo = t;
                    curRcvTimeo = t;
                }
                return;
            }
            if (o.name.equals("xpub_verboser")) {
                // libzmq's XPUB_VERBOSER passes subscriptions and unsubscriptions; JeroMQ has the
                // two halves as XPUB_VERBOSE and XPUB_VERBOSE_UNSUBSCRIBE (libzmq's option 78).
                apply(ZMQ.ZMQ_XPUB_VERBOSE, v);
                apply(ZMQ.ZMQ_XPUB_VERBOSE_UNSUBSCRIBE, v);
                return;
            }
            apply(o.zopt, v);
        } finally {
            release();
        }
    }

    private void apply(int zopt, Object v) throws PeerError {
        try {
            s.setSocketOpt(zopt, v);
        } catch (RuntimeException e) {
            throw Errors.fromException(e, "setopt " + OptionMap.nameOf(zopt), false);
        }
    }

    Object getOption(String name) throws PeerError {
        OptionMap.Opt o = OptionMap.get(name);
        if (!o.gettable) {
            throw PeerError.of(PeerError.INVAL, "getopt %s: JeroMQ 0.3.6 cannot read this option back", name);
        }
        acquire("getopt " + name);
        try {
            if (o.name.equals("sndtimeo")) {
                return (long) userSndTimeo;
            }
            if (o.name.equals("rcvtimeo")) {
                return (long) userRcvTimeo;
            }
            Object raw;
            try {
                raw = o.zopt == ZMQ.ZMQ_RCVMORE ? s.getSocketOpt(o.zopt) : s.getsockoptx(o.zopt);
            } catch (RuntimeException e) {
                throw Errors.fromException(e, "getopt " + name, false);
            }
            return OptionMap.encode(o, raw);
        } finally {
            release();
        }
    }

    // ---------------------------------------------------------------------------- messages

    /** Something a blocking loop checks between slices: a job's cancel flag, or nothing. */
    static final AtomicBoolean NEVER = new AtomicBoolean(false);

    /**
     * Sends one message, all frames or none, within timeoutMs (0: do not wait). The first frame
     * is what may block (HWM, no peer); once it is accepted JeroMQ takes the rest of the message
     * without blocking (pipes check the HWM at message boundaries only).
     */
    void send(List<byte[]> frames, long timeoutMs, AtomicBoolean cancel) throws PeerError {
        if (frames.isEmpty()) {
            throw PeerError.of(PeerError.PROTOCOL, "send: a message needs at least one frame");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int n = frames.size();
        while (true) {
            acquire("send");
            try {
                int slice = sliceMs(timeoutMs, deadline);
                int flags = (n > 1 ? ZMQ.ZMQ_SNDMORE : 0) | (slice == 0 ? ZMQ.ZMQ_DONTWAIT : 0);
                if (slice > 0) {
                    setSndTimeo(slice);
                }
                if (sendFrame(frames.get(0), flags, 0)) {
                    sendRest(frames);
                    return;
                }
                int errno = s.errno();
                if (errno != ZError.EAGAIN) {
                    throw Errors.fromErrno(errno, "send");
                }
            } finally {
                release();
            }
            if (timeoutMs == 0 || System.nanoTime() - deadline >= 0) {
                throw PeerError.of(PeerError.AGAIN, "send: not accepted within %d ms (EAGAIN)", timeoutMs);
            }
            if (cancel.get()) {
                throw PeerError.of(PeerError.AGAIN, "send: cancelled while waiting");
            }
        }
    }

    /** Frames 1..n-1 of a message whose first frame was accepted (lock held). */
    private void sendRest(List<byte[]> frames) throws PeerError {
        int n = frames.size();
        if (n == 1) {
            return;
        }
        setSndTimeo(5000); // never expected to wait; bounded so a defect shows as an error
        for (int i = 1; i < n; i++) {
            int flags = i < n - 1 ? ZMQ.ZMQ_SNDMORE : 0;
            if (!sendFrame(frames.get(i), flags, i)) {
                throw Errors.fromErrno(s.errno(), "send frame " + i + " of " + n + " (the first frames were taken)");
            }
        }
    }

    private boolean sendFrame(byte[] data, int flags, int index) throws PeerError {
        try {
            return s.send(new Msg(data), flags);
        } catch (RuntimeException e) {
            throw Errors.fromException(e, index == 0 ? "send" : "send frame " + index, true);
        }
    }

    /** Receives one whole message within timeoutMs (0: only what is there now). */
    List<byte[]> recv(long timeoutMs, AtomicBoolean cancel) throws PeerError {
        List<byte[]> frames = new ArrayList<>(2);
        recvInto(timeoutMs, cancel, frames);
        return frames;
    }

    /** Receives one whole message and returns its size in bytes without copying it (benchmarks). */
    long recvSize(long timeoutMs, AtomicBoolean cancel) throws PeerError {
        return recvInto(timeoutMs, cancel, null);
    }

    /** The receive loop: slices until a message arrives, the deadline passes or cancel is set. */
    private long recvInto(long timeoutMs, AtomicBoolean cancel, List<byte[]> out) throws PeerError {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            acquire("recv");
            try {
                int slice = sliceMs(timeoutMs, deadline);
                if (slice > 0) {
                    setRcvTimeo(slice);
                }
                Msg first = recvFrame(slice == 0 ? ZMQ.ZMQ_DONTWAIT : 0, 0);
                if (first != null) {
                    return recvRest(first, out);
                }
                int errno = s.errno();
                if (errno != ZError.EAGAIN) {
                    throw Errors.fromErrno(errno, "recv");
                }
            } finally {
                release();
            }
            if (timeoutMs == 0 || System.nanoTime() - deadline >= 0) {
                throw PeerError.of(PeerError.AGAIN, "recv: no message within %d ms (EAGAIN)", timeoutMs);
            }
            if (cancel.get()) {
                throw PeerError.of(PeerError.AGAIN, "recv: cancelled while waiting");
            }
        }
    }

    /**
     * The remaining frames of a message whose first frame arrived (lock held); adds every frame
     * to out unless it is null, and returns the message's size.
     */
    private long recvRest(Msg first, List<byte[]> out) throws PeerError {
        Msg m = first;
        long size = m.size();
        int count = 1;
        if (out != null) {
            out.add(bytes(m));
        }
        if (m.hasMore()) {
            setRcvTimeo(5000); // the rest of a message is there with its first frame
        }
        while (m.hasMore()) {
            m = recvFrame(0, count);
            if (m == null) {
                throw Errors.fromErrno(s.errno(), "recv frame " + count + " (the message's first frames arrived)");
            }
            size += m.size();
            count++;
            if (out != null) {
                out.add(bytes(m));
            }
        }
        return size;
    }

    private Msg recvFrame(int flags, int index) throws PeerError {
        try {
            return s.recv(flags);
        } catch (RuntimeException e) {
            throw Errors.fromException(e, index == 0 ? "recv" : "recv frame " + index, true);
        }
    }

    /**
     * The payload of a frame. Msg.data() hands out the backing array when the message owns one
     * of exactly its size, which is fine: JeroMQ is done with a message once recv returned it.
     */
    private static byte[] bytes(Msg m) {
        byte[] d = m.data();
        return d == null ? new byte[0] : d;
    }

    // -------------------------------------------------------------- fast single-frame path

    /**
     * For benchmark loops: sends one single-frame message, waiting at most one slice. Returns
     * false on EAGAIN; other failures throw.
     */
    boolean trySendFrame(byte[] data, int sliceMs) throws PeerError {
        acquire("send");
        try {
            setSndTimeo(sliceMs);
            if (sendFrame(data, sliceMs == 0 ? ZMQ.ZMQ_DONTWAIT : 0, 0)) {
                return true;
            }
            int errno = s.errno();
            if (errno != ZError.EAGAIN) {
                throw Errors.fromErrno(errno, "send");
            }
            return false;
        } finally {
            release();
        }
    }

    // ---------------------------------------------------------------------------- close

    /** Closes the socket (LINGER first when given). Callers stop the socket's jobs before. */
    void close(Long lingerMs) throws PeerError {
        acquire("close");
        try {
            if (lingerMs != null) {
                apply(ZMQ.ZMQ_LINGER, (int) Math.max(-1, Math.min(Integer.MAX_VALUE, lingerMs)));
            }
            closed = true;
            try {
                s.close(); // hands the socket to the reaper thread, which honours LINGER
            } catch (RuntimeException e) {
                throw Errors.fromException(e, "close", false);
            }
        } finally {
            release();
        }
    }

    // ---------------------------------------------------------------------------- helpers

    /** How long the next wait inside JeroMQ may be: 0 = do not wait at all. */
    private static int sliceMs(long timeoutMs, long deadline) {
        if (timeoutMs == 0) {
            return 0;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            // The deadline passed between slices: one last look without waiting.
            return 0;
        }
        return (int) Math.min(left, SLICE_MS);
    }

    private void setSndTimeo(int ms) throws PeerError {
        if (curSndTimeo != ms) {
            apply(ZMQ.ZMQ_SNDTIMEO, ms);
            curSndTimeo = ms;
        }
    }

    private void setRcvTimeo(int ms) throws PeerError {
        if (curRcvTimeo != ms) {
            apply(ZMQ.ZMQ_RCVTIMEO, ms);
            curRcvTimeo = ms;
        }
    }
}
