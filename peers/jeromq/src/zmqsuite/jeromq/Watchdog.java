package zmqsuite.jeromq;

import java.util.Map;

/**
 * Prints every thread's stack to stderr when a request runs well past its own deadline. The
 * harness kills a peer that misses its deadline by 5 s with SIGKILL, which leaves no trace;
 * the stacks (the harness keeps the stderr tail) say where JeroMQ or the peer was stuck.
 */
final class Watchdog {
    /**
     * Dump this long after the request's own deadline: before the harness's 5 s grace ends.
     * -Dzmqsuite.watchdog.late_ms=N changes it (for chasing stalls by hand).
     */
    static final long LATE_NS = Long.getLong("zmqsuite.watchdog.late_ms", 2500) * 1_000_000L;

    private volatile long deadline; // System.nanoTime() after which the request is late; 0 = idle
    private volatile String what = "";
    private volatile boolean dumped;

    /** Marks the start of a request that should be answered within budgetMs. */
    void begin(String what, long budgetMs) {
        this.what = what;
        this.dumped = false;
        this.deadline = System.nanoTime() + budgetMs * 1_000_000L + LATE_NS;
    }

    void end() {
        deadline = 0;
    }

    void start() {
        Thread t = new Thread(this::watch, "watchdog");
        t.setDaemon(true);
        t.start();
    }

    private void watch() {
        while (true) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
            long d = deadline;
            if (d != 0 && !dumped && System.nanoTime() - d > 0) {
                dumped = true;
                dump();
            }
        }
    }

    private void dump() {
        StringBuilder b = new StringBuilder("jeromq peer: ").append(what).append(" is overdue; threads:\n");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            b.append("\"").append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement f : e.getValue()) {
                b.append("    at ").append(f).append('\n');
            }
        }
        b.append("jeromq peer: ").append(what).append(" is overdue (stacks above)\n");
        System.err.print(b);
        System.err.flush();
    }
}
