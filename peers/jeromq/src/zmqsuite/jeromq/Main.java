package zmqsuite.jeromq;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import zmq.SocketBase;

/**
 * The zmqsuite peer for JeroMQ: one JSON request per line on stdin, one JSON reply per line on
 * stdout, in order (docs/peer-protocol.md). Only the request loop writes to stdout. Async
 * operations run on their own threads and leave their reply for "wait".
 */
public final class Main {
    static final int PROTOCOL = 1;
    static final long DEFAULT_TIMEOUT_MS = 10_000;

    private final OutputStream out;
    private final Ctxs contexts = new Ctxs();
    private final Map<String, Sock> sockets = new LinkedHashMap<>();
    /** Handles of sockets that were closed: using one is "closed", not an unknown socket. */
    private final java.util.Set<String> closedHandles = new java.util.HashSet<>();
    private final Map<Long, Job> jobs = new LinkedHashMap<>();
    private long nextSocket;
    private long nextJob;
    private final Watchdog watchdog = new Watchdog();

    Main(OutputStream out) {
        this.out = out;
    }

    /** An operation started with "async": its thread, its cancel flag and, once done, its reply. */
    static final class Job {
        final long id;
        final Sock sock;
        final AtomicBoolean cancel = new AtomicBoolean();
        final CountDownLatch done = new CountDownLatch(1);
        volatile Map<String, Object> reply;

        Job(long id, Sock sock) {
            this.id = id;
            this.sock = sock;
        }
    }

    public static void main(String[] args) throws IOException {
        // stdout belongs to the protocol: anything printed by a library goes to stderr instead.
        OutputStream proto = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        // A thread of JeroMQ (an I/O thread, the reaper) dying leaves its sockets dead with no
        // error to report: crash loudly instead, so the harness records it as the result.
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            System.err.println("jeromq peer: uncaught exception in thread " + t.getName() + ":");
            e.printStackTrace(System.err);
            System.err.flush();
            Runtime.getRuntime().halt(70);
        });
        new Main(proto).serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16));
    }

    void serve(BufferedReader in) throws IOException {
        watchdog.start();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }
            Object parsed;
            try {
                parsed = Json.parse(line);
            } catch (Json.ParseException e) {
                // A line that is not JSON has no id to answer by: say so once and stop, as
                // the stream can no longer be trusted.
                write(error(null, new PeerError(PeerError.PROTOCOL, "unreadable request: " + e.getMessage())));
                System.err.println("jeromq peer: unreadable request, stopping: " + e.getMessage());
                exit(2);
                return;
            }
            if (!(parsed instanceof Map)) {
                write(error(null, new PeerError(PeerError.PROTOCOL, "a request must be a JSON object")));
                exit(2);
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) parsed;
            Req req;
            try {
                req = new Req(m);
            } catch (PeerError e) {
                Object id = m.get("id");
                write(error(id instanceof Long ? (Long) id : null, e));
                continue;
            }
            watchdog.begin(req.op + " (request " + req.id + ")", budgetMs(req));
            Map<String, Object> reply = handle(req);
            watchdog.end();
            reply.put("id", req.id);
            write(reorder(reply));
            if (req.op.equals("quit")) {
                exit(0);
                return;
            }
        }
        shutdown(); // end of stdin means quit
        exit(0);
    }

    /** How long a request may take by the protocol: its timeout_ms, or 10 s for control ops. */
    private static long budgetMs(Req req) {
        try {
            return req.has("timeout_ms") ? Math.max(0, req.integer("timeout_ms")) : DEFAULT_TIMEOUT_MS;
        } catch (PeerError e) {
            return DEFAULT_TIMEOUT_MS;
        }
    }

    /** Replies lead with id and ok, for a reader's sake. */
    private static Map<String, Object> reorder(Map<String, Object> r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", r.remove("id"));
        o.put("ok", r.remove("ok"));
        o.putAll(r);
        return o;
    }

    private void write(Map<String, Object> reply) throws IOException {
        StringBuilder b = new StringBuilder(128);
        Json.write(b, reply);
        b.append('\n');
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void exit(int code) {
        System.err.flush();
        // exit, not halt: nothing of ours needs shutdown hooks, but the JVM flushes its streams.
        System.exit(code);
    }

    static Map<String, Object> ok() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        return r;
    }

    static Map<String, Object> error(Long id, PeerError e) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (id != null) {
            r.put("id", id);
        }
        r.put("ok", false);
        r.put("error", Json.obj("category", e.category, "message", e.getMessage()));
        return r;
    }

    // ---------------------------------------------------------------------------- dispatch

    private static final java.util.Set<String> ASYNC_OPS = java.util.Set.of("send", "recv", "send_batch", "recv_batch", "bench");

    Map<String, Object> handle(Req req) {
        try {
            if (req.bool("async", false)) {
                if (!ASYNC_OPS.contains(req.op)) {
                    throw PeerError.of(PeerError.PROTOCOL, "op %s cannot run async", req.op);
                }
                return startJob(req);
            }
            return run(req, Sock.NEVER);
        } catch (PeerError e) {
            return error(null, e);
        }
    }

    /** Runs one operation; async jobs call this on their own thread (never for control ops). */
    private Map<String, Object> run(Req req, AtomicBoolean cancel) throws PeerError {
        switch (req.op) {
            case "hello": {
                Map<String, Object> r = ok();
                r.put("hello", Hello.build());
                return r;
            }
            case "ping":
                return ok();
            case "heap": {
                // docs/peer-protocol.md "heap": the JVM expands its heap under 10,000 sockets'
                // garbage and keeps it, so resident memory cannot tell a leak from growth;
                // what a full collection leaves in use can.
                Runtime rt = Runtime.getRuntime();
                System.gc();
                System.gc();
                Map<String, Object> r = ok();
                r.put("value", rt.totalMemory() - rt.freeMemory());
                return r;
            }
            case "zap":
            case "zap_log":
            case "zap_stop":
                // docs/peer-protocol.md "Security": JeroMQ 0.3.6 speaks ZMTP/2.0, which has no
                // security mechanisms, so there is nothing for a ZAP handler to authenticate.
                throw PeerError.of(PeerError.UNSUPPORTED,
                        "%s: JeroMQ 0.3.6 has no ZAP (RFC 27) and no PLAIN/CURVE (ZMTP/2.0 has no security mechanisms)", req.op);
            case "socket":
                return socket(req);
            case "wait":
                return waitJob(req);
            case "cancel":
                return cancelJob(req);
            case "quit":
                shutdown();
                return ok();
            case "bind": {
                String ep = sock(req).bind(req.str("endpoint"));
                Map<String, Object> r = ok();
                r.put("endpoint", ep);
                return r;
            }
            case "connect":
                sock(req).connect(req.str("endpoint"));
                return ok();
            case "unbind":
            case "disconnect":
                sock(req).termEndpoint(req.str("endpoint"), req.op);
                return ok();
            case "setopt":
                if (!req.m.containsKey("value")) {
                    throw PeerError.of(PeerError.PROTOCOL, "setopt: missing \"value\"");
                }
                sock(req).setOption(req.str("name"), req.m.get("value"));
                return ok();
            case "getopt": {
                Object v = sock(req).getOption(req.str("name"));
                Map<String, Object> r = ok();
                r.put("value", v);
                return r;
            }
            case "send":
                sock(req).send(req.frames("frames"), req.timeoutMs(), cancel);
                return ok();
            case "recv": {
                List<byte[]> frames = sock(req).recv(req.timeoutMs(), cancel);
                Map<String, Object> r = ok();
                r.put("frames", b64(frames));
                return r;
            }
            case "send_batch":
                return sendBatch(sock(req), req, cancel);
            case "recv_batch":
                return recvBatch(sock(req), req, cancel);
            case "bench": {
                Map<String, Object> r = ok();
                r.put("bench", Bench.run(sock(req), req.object("bench"), cancel));
                return r;
            }
            case "close":
                return close(req);
            default:
                throw PeerError.of(PeerError.PROTOCOL, "unknown op %s", req.op);
        }
    }

    // ---------------------------------------------------------------------------- sockets

    private Sock sock(Req req) throws PeerError {
        String h = req.str("socket");
        synchronized (this) {
            Sock s = sockets.get(h);
            if (s != null) {
                return s;
            }
            if (closedHandles.contains(h)) {
                throw PeerError.of(PeerError.CLOSED, "%s: socket %s is closed", req.op, h);
            }
        }
        throw PeerError.of(PeerError.PROTOCOL, "%s: unknown socket %s", req.op, h);
    }

    private Map<String, Object> socket(Req req) throws PeerError {
        String type = req.str("type");
        int code = Hello.typeCode(type);
        if (code < 0) {
            throw PeerError.of(PeerError.UNSUPPORTED, "socket type %s: not a ZeroMQ socket type JeroMQ has", type);
        }
        Ctxs.Named ctx = contexts.get(req.str("context", ""));
        SocketBase s;
        try {
            s = ctx.ctx.createSocket(code);
        } catch (RuntimeException e) {
            throw Errors.fromException(e, "socket " + type, false);
        }
        if (s == null) {
            throw PeerError.of(PeerError.OTHER, "socket %s: JeroMQ created none (too many sockets? errno unknown)", type);
        }
        String handle;
        synchronized (this) {
            handle = "s" + (++nextSocket);
            sockets.put(handle, new Sock(handle, type, s, ctx));
        }
        Map<String, Object> r = ok();
        r.put("socket", handle);
        return r;
    }

    private Map<String, Object> close(Req req) throws PeerError {
        Sock s = sock(req);
        Long linger = req.has("linger_ms") ? req.integer("linger_ms") : null;
        stopJobsOf(s);
        synchronized (this) {
            sockets.remove(s.handle);
            closedHandles.add(s.handle);
        }
        s.close(linger);
        return ok();
    }

    /**
     * Cancels the jobs still running on a socket and waits for them to notice (they look at the
     * flag every slice), so that closing never races a job inside JeroMQ.
     */
    private void stopJobsOf(Sock s) {
        List<Job> running = new ArrayList<>();
        synchronized (this) {
            for (Job j : jobs.values()) {
                if (j.sock == s && j.done.getCount() > 0) {
                    j.cancel.set(true);
                    running.add(j);
                }
            }
        }
        for (Job j : running) {
            try {
                if (!j.done.await(5, TimeUnit.SECONDS)) {
                    System.err.println("jeromq peer: job " + j.id + " did not stop within 5 s of its socket's close");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** quit and end of input: stop every job, close every socket without lingering. */
    private void shutdown() {
        List<Sock> all;
        synchronized (this) {
            for (Job j : jobs.values()) {
                j.cancel.set(true);
            }
            all = new ArrayList<>(sockets.values());
        }
        for (Sock s : all) {
            stopJobsOf(s);
            try {
                s.close(0L);
            } catch (PeerError e) {
                System.err.println("jeromq peer: closing " + s.handle + " at quit: " + e.getMessage());
            }
        }
        synchronized (this) {
            sockets.clear();
        }
    }

    // ---------------------------------------------------------------------------- jobs

    private Map<String, Object> startJob(Req req) throws PeerError {
        Sock s = sock(req); // an unknown socket is refused now, not when waited for
        Job j;
        synchronized (this) {
            j = new Job(++nextJob, s);
            jobs.put(j.id, j);
        }
        final Job job = j;
        Thread t = new Thread(() -> {
            Map<String, Object> reply;
            try {
                reply = run(req, job.cancel);
            } catch (PeerError e) {
                reply = error(null, e);
            }
            job.reply = reply;
            job.done.countDown();
        }, "job-" + j.id + "-" + req.op);
        t.setDaemon(true);
        t.start();
        Map<String, Object> r = ok();
        r.put("job", j.id);
        return r;
    }

    private Job job(Req req) throws PeerError {
        long id = req.integer("job");
        synchronized (this) {
            Job j = jobs.get(id);
            if (j == null) {
                // Go's reference answers inval here; the document does not say.
                throw PeerError.of(PeerError.INVAL, "no job %d", id);
            }
            return j;
        }
    }

    private Map<String, Object> waitJob(Req req) throws PeerError {
        Job j = job(req);
        long t = req.timeoutMs();
        try {
            if (!j.done.await(t, TimeUnit.MILLISECONDS)) {
                throw PeerError.of(PeerError.AGAIN, "job %d still running after %d ms", j.id, t);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw PeerError.of(PeerError.OTHER, "wait interrupted");
        }
        synchronized (this) {
            jobs.remove(j.id);
        }
        return new LinkedHashMap<>(j.reply);
    }

    private Map<String, Object> cancelJob(Req req) throws PeerError {
        job(req).cancel.set(true);
        return ok();
    }

    // ---------------------------------------------------------------------------- batches

    private static Map<String, Object> sendBatch(Sock s, Req req, AtomicBoolean cancel) throws PeerError {
        long timeout = req.timeoutMs();
        Content.Plan plan = null;
        List<Object> explicit = null;
        long n;
        // Both at once is the harness's mistake, not something for the binding to answer
        // (docs/peer-protocol.md: required fields).
        if (req.has("plan") && req.m.get("messages") != null) {
            throw PeerError.of(PeerError.PROTOCOL, "send_batch: give \"messages\" or \"plan\", not both");
        }
        if (req.has("plan")) {
            plan = Content.Plan.parse(req.object("plan"));
            n = plan.count;
        } else {
            Object msgs = req.m.get("messages");
            if (!(msgs instanceof List)) {
                throw PeerError.of(PeerError.PROTOCOL, "send_batch: needs \"messages\" or \"plan\"");
            }
            @SuppressWarnings("unchecked")
            List<Object> l = (List<Object>) msgs;
            explicit = l;
            n = l.size();
        }
        for (long i = 0; i < n; i++) {
            if (cancel.get()) {
                return partial(PeerError.of(PeerError.OTHER, "send_batch cancelled after %d", i), "sent", i);
            }
            List<byte[]> m = plan != null ? plan.message(i)
                    : Req.framesOf(explicit.get((int) i), "send_batch: message " + i);
            try {
                s.send(m, timeout, cancel);
            } catch (PeerError e) {
                return partial(e.prefixed("message " + i + " of " + n), "sent", i);
            }
        }
        Map<String, Object> r = ok();
        r.put("sent", n);
        return r;
    }

    private static Map<String, Object> partial(PeerError e, String key, Object value) {
        Map<String, Object> r = error(null, e);
        r.put(key, value);
        return r;
    }

    /**
     * Receives count messages, each within timeout_ms of the previous. With "digest", the reply
     * carries 16 bytes per message instead of the messages (Content.digest).
     */
    private static Map<String, Object> recvBatch(Sock s, Req req, AtomicBoolean cancel) throws PeerError {
        long count = req.integer("count", 0);
        if (count < 0) {
            throw PeerError.of(PeerError.INVAL, "recv_batch: negative count");
        }
        long timeout = req.timeoutMs();
        boolean digest = req.bool("digest", false);
        List<Object> messages = digest ? null : new ArrayList<>();
        byte[] digests = new byte[digest ? (int) Math.min(count, 1 << 20) * Content.DIGEST_LEN : 0];
        long got = 0;
        PeerError failure = null;
        while (got < count) {
            if (cancel.get()) {
                failure = PeerError.of(PeerError.AGAIN, "recv_batch cancelled after %d", got);
                break;
            }
            List<byte[]> m;
            try {
                m = s.recv(timeout, cancel);
            } catch (PeerError e) {
                failure = e.prefixed("after " + got + " of " + count + " messages");
                break;
            }
            if (digest) {
                int off = (int) got * Content.DIGEST_LEN;
                if (off + Content.DIGEST_LEN > digests.length) {
                    digests = java.util.Arrays.copyOf(digests, Math.max(digests.length * 2, off + Content.DIGEST_LEN));
                }
                Content.digest(m, digests, off);
            } else {
                messages.add(b64(m));
            }
            got++;
        }
        Map<String, Object> r = failure == null ? ok() : error(null, failure);
        if (digest) {
            r.put("digest", Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(digests, (int) got * Content.DIGEST_LEN)));
        } else {
            r.put("messages", messages);
        }
        return r;
    }

    static List<Object> b64(List<byte[]> frames) {
        List<Object> out = new ArrayList<>(frames.size());
        Base64.Encoder enc = Base64.getEncoder();
        for (byte[] f : frames) {
            out.add(enc.encodeToString(f));
        }
        return out;
    }
}
