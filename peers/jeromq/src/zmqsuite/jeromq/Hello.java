package zmqsuite.jeromq;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import zmq.Ctx;
import zmq.Msg;
import zmq.SocketBase;
import zmq.ZMQ;

/**
 * The hello reply: who this peer is and what JeroMQ can do here, found out by trying it (socket
 * types by creating them, options by setting them, transports by carrying a message), never by
 * copying what the binding claims.
 */
final class Hello {
    private Hello() {}

    static final String[] SOCKET_TYPES = {"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"};

    static int typeCode(String name) {
        switch (name) {
            case "PAIR": return ZMQ.ZMQ_PAIR;
            case "PUB": return ZMQ.ZMQ_PUB;
            case "SUB": return ZMQ.ZMQ_SUB;
            case "REQ": return ZMQ.ZMQ_REQ;
            case "REP": return ZMQ.ZMQ_REP;
            case "DEALER": return ZMQ.ZMQ_DEALER;
            case "ROUTER": return ZMQ.ZMQ_ROUTER;
            case "PULL": return ZMQ.ZMQ_PULL;
            case "PUSH": return ZMQ.ZMQ_PUSH;
            case "XPUB": return ZMQ.ZMQ_XPUB;
            case "XSUB": return ZMQ.ZMQ_XSUB;
            default: return -1;
        }
    }

    /** The binding's version, from the jar's own metadata (Maven's pom.properties, then OSGi). */
    static String jeromqVersion() {
        try (InputStream in = ZMQ.class.getResourceAsStream("/META-INF/maven/org.zeromq/jeromq/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isEmpty()) {
                    return v;
                }
            }
        } catch (IOException ignored) {
            // fall through to the package metadata
        }
        Package pkg = ZMQ.class.getPackage();
        String v = pkg == null ? null : pkg.getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    static String goos() {
        String os = System.getProperty("os.name", "").toLowerCase();
        if (os.startsWith("linux")) return "linux";
        if (os.startsWith("mac") || os.startsWith("darwin")) return "darwin";
        if (os.startsWith("windows")) return "windows";
        if (os.startsWith("freebsd")) return "freebsd";
        return os.replace(' ', '_');
    }

    static Map<String, Object> build() {
        Ctx ctx = ZMQ.createContext();
        try {
            Map<String, Object> caps = new LinkedHashMap<>();
            caps.put("socket_types", socketTypes(ctx));
            caps.put("options", options(ctx));
            List<String> declared = new ArrayList<>();
            Map<String, Object> probeErrors = new LinkedHashMap<>();
            caps.put("transports", transports(ctx, declared, probeErrors));
            caps.put("declared", declared);
            caps.put("probe_errors", probeErrors);
            caps.put("bench", true);

            Map<String, Object> h = new LinkedHashMap<>();
            h.put("name", "jeromq");
            h.put("version", jeromqVersion());
            h.put("libzmq", "");
            h.put("runtime", "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
            h.put("protocol", (long) Main.PROTOCOL);
            h.put("os", goos());
            h.put("language", "java");
            h.put("binding", "org.zeromq:jeromq");
            h.put("pid", ProcessHandle.current().pid());
            h.put("notes", "pure Java port of libzmq " + ZMQ.ZMQ_VERSION_MAJOR + "." + ZMQ.ZMQ_VERSION_MINOR + "."
                    + ZMQ.ZMQ_VERSION_PATCH + "; speaks ZMTP/2.0 (greeting revision 1, no mechanisms); "
                    + "ipc is emulated over tcp and reported unsupported");
            h.put("capabilities", caps);
            return h;
        } finally {
            terminateLater(ctx);
        }
    }

    /** Context termination waits for the reaper; hello does not. */
    private static void terminateLater(Ctx ctx) {
        Thread t = new Thread(() -> {
            try {
                ctx.terminate();
            } catch (RuntimeException ignored) {
                // a probe context: nothing depends on its end
            }
        }, "probe-ctx-term");
        t.setDaemon(true);
        t.start();
    }

    private static SocketBase open(Ctx ctx, String type) {
        SocketBase s = ctx.createSocket(typeCode(type));
        s.setSocketOpt(ZMQ.ZMQ_LINGER, 0);
        return s;
    }

    private static List<String> socketTypes(Ctx ctx) {
        List<String> ok = new ArrayList<>();
        for (String t : SOCKET_TYPES) {
            try {
                open(ctx, t).close();
                ok.add(t);
            } catch (RuntimeException e) {
                System.err.println("jeromq peer: socket type " + t + " unavailable: " + e);
            }
        }
        return ok;
    }

    /** Each supported option is set (or read) once on a socket of a type it applies to. */
    private static List<String> options(Ctx ctx) {
        List<String> ok = new ArrayList<>();
        for (OptionMap.Opt o : OptionMap.SUPPORTED.values()) {
            SocketBase s = null;
            try {
                s = open(ctx, o.probeType == null ? "PAIR" : o.probeType);
                if (o.settable) {
                    s.setSocketOpt(o.zopt, probeValue(o));
                } else {
                    s.getsockoptx(o.zopt);
                }
                ok.add(o.name);
            } catch (RuntimeException e) {
                System.err.println("jeromq peer: option " + o.name + " refused by JeroMQ: " + e);
            } finally {
                if (s != null) {
                    s.close();
                }
            }
        }
        return ok;
    }

    private static Object probeValue(OptionMap.Opt o) {
        switch (o.kind) {
            case BYTES:
                return new byte[] {'p'};
            case BOOL:
                return 0;
            default:
                if (o.zopt == ZMQ.ZMQ_MAXMSGSIZE) {
                    return -1L;
                }
                return o.zopt == ZMQ.ZMQ_LINGER || o.zopt == ZMQ.ZMQ_SNDTIMEO || o.zopt == ZMQ.ZMQ_RCVTIMEO ? -1 : 1000;
        }
    }

    /**
     * Binds a PAIR, connects a PAIR, carries one message, for each transport. ipc counts only if
     * the bind created a unix socket at the path (zmq_ipc(7)); JeroMQ's tcp emulation of ipc
     * carries the message but is not the ipc transport. A transport is declared when JeroMQ
     * accepts its endpoints at all (SocketBase.checkProtocol).
     */
    private static List<String> transports(Ctx ctx, List<String> declared, Map<String, Object> errors) {
        List<String> ok = new ArrayList<>();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("zj");
        } catch (IOException e) {
            errors.put("ipc", "no temporary directory: " + e.getMessage());
        }
        for (String t : new String[] {"tcp", "ipc", "inproc"}) {
            String ep;
            switch (t) {
                case "tcp": ep = "tcp://127.0.0.1:*"; break;
                case "ipc": ep = dir == null ? null : "ipc://" + dir.resolve("probe"); break;
                default: ep = "inproc://zmqsuite-probe-" + ProcessHandle.current().pid(); break;
            }
            if (ep == null) {
                continue;
            }
            String err = probe(ctx, ep, t, declared);
            if (err == null) {
                ok.add(t);
            } else {
                errors.put(t, err);
            }
        }
        if (dir != null) {
            removeTree(dir);
        }
        return ok;
    }

    private static String probe(Ctx ctx, String ep, String transport, List<String> declared) {
        SocketBase a = null;
        SocketBase c = null;
        try {
            a = open(ctx, "PAIR");
            c = open(ctx, "PAIR");
            String real;
            try {
                real = Transports.bind(a, ep);
            } catch (PeerError e) {
                if (!e.category.equals(PeerError.UNSUPPORTED)) {
                    declared.add(transport);
                }
                return e.getMessage();
            }
            declared.add(transport);
            if (!c.connect(real)) {
                return "connect " + real + ": " + Errors.fromErrno(c.errno(), "connect").getMessage();
            }
            c.setSocketOpt(ZMQ.ZMQ_SNDTIMEO, 2000);
            if (!c.send(new Msg("probe".getBytes()), 0)) {
                return "send over " + real + ": " + Errors.fromErrno(c.errno(), "send").getMessage();
            }
            a.setSocketOpt(ZMQ.ZMQ_RCVTIMEO, 2000);
            Msg m = a.recv(0);
            if (m == null) {
                return "recv over " + real + ": " + Errors.fromErrno(a.errno(), "recv").getMessage();
            }
            if (!"probe".equals(new String(m.data()))) {
                return "probe over " + real + " arrived altered";
            }
            if (transport.equals("ipc")) {
                Path path = Path.of(ep.substring("ipc://".length()));
                if (!isUnixSocket(path)) {
                    return "bind, connect and a message over " + ep + " worked, but no unix socket exists at "
                            + path + ": " + Transports.IPC_REASON;
                }
            }
            return null;
        } catch (RuntimeException e) {
            return ep + ": " + e;
        } finally {
            if (c != null) {
                c.close();
            }
            if (a != null) {
                a.close();
            }
        }
    }

    /** A unix-domain socket file: not regular, not a directory, not a link. */
    private static boolean isUnixSocket(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return a.isOther();
        } catch (IOException e) {
            return false;
        }
    }

    private static void removeTree(Path dir) {
        try (Stream<Path> w = Files.walk(dir)) {
            w.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover in the temporary directory harms nothing
                }
            });
        } catch (IOException ignored) {
            // same
        }
    }
}
