package zmqsuite.jeromq;

import java.util.ArrayList;
import java.util.List;

/** A minimal test runner: named checks, a summary line the CI reads ("N passed, N failed"). */
final class Check {
    interface Body {
        void run() throws Exception;
    }

    private static int passed;
    private static final List<String> failures = new ArrayList<>();

    static void test(String name, Body body) {
        try {
            body.run();
            passed++;
        } catch (Throwable t) {
            failures.add(name + ": " + t);
            System.out.println("FAIL " + name + ": " + t);
        }
    }

    static void eq(Object want, Object got, String what) {
        if (want == null ? got != null : !want.equals(got)) {
            throw new AssertionError(what + ": want " + want + ", got " + got);
        }
    }

    static void truth(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    /** The body must throw an exception of that class. */
    static void fails(Class<? extends Throwable> cls, Body body, String what) {
        try {
            body.run();
        } catch (Throwable t) {
            if (cls.isInstance(t)) {
                return;
            }
            throw new AssertionError(what + ": threw " + t + ", want " + cls.getSimpleName());
        }
        throw new AssertionError(what + ": did not fail");
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /** Prints the summary and exits non-zero on any failure. */
    static void finish(String suite) {
        System.out.println(suite + ": " + passed + " passed, " + failures.size() + " failed");
        if (!failures.isEmpty()) {
            System.exit(1);
        }
    }
}
