package io.hopseal.testsupport;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Book-keeping for one Jazzer {@code @FuzzTest} target: how many inputs it ran (accepted, refused with the decoder's
 * declared malformed-input exception), and the allocation bound every input must respect.
 *
 * <p>Allocation is measured per thread ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}): a decoder
 * that sizes a buffer from a hostile length field shows up here as a failed bound on a small input long before it
 * would exhaust a heap. Targets warm the decoder up (class loading allocates) before the first measured input.
 *
 * <p>Usage, in a target class: {@code static final FuzzTarget DECODE = FuzzTarget.named("EnvelopeFuzzTest#decode");},
 * {@code long mark = FuzzTarget.allocated();} before the call under test, {@code DECODE.accepted(mark, bound)} or
 * {@code DECODE.refused(mark, bound)} after it, and {@code DECODE.print()} from {@code @AfterAll}.
 */
public final class FuzzTarget {
    private static final com.sun.management.ThreadMXBean THREADS = threads();
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty();
    /**
     * While fuzzing, Jazzer's comparison hooks allocate on the target's thread (tens of KB for some inputs): bounds get
     * this much slack then. A decoder that sizes a buffer from a hostile 32-bit length still goes far past it.
     */
    static final long FUZZING_SLACK = 1024 * 1024;
    /** What measuring itself and the test's own bookkeeping may allocate around the call (a few KB seen). */
    static final long MEASURING_SLACK = 16 * 1024;

    /** Set while a target class warms up: nothing is counted or checked. */
    private static volatile boolean warming;

    private final String name;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final AtomicLong mostAllocated = new AtomicLong();

    private FuzzTarget(String name) {
        this.name = name;
    }

    public static FuzzTarget named(String name) {
        return new FuzzTarget(name);
    }

    private static final java.lang.management.ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();
    /** Classes loaded when the last mark was taken: an input during which a class loaded is not measured. */
    private static volatile long classesAtMark;

    /** Bytes this thread has allocated so far (a mark for {@link #accepted}/{@link #refused}); 0 if unmeasurable. */
    public static long allocated() {
        classesAtMark = CLASSES.getTotalLoadedClassCount();
        return THREADS == null ? 0 : THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** A step of a warm-up; may throw anything it likes (it is not a check). */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    /**
     * Runs inputs through the targets before the measured ones (from {@code @BeforeAll}): class loading, and Jazzer's
     * instrumentation of each class as it loads, allocate on the first use, which is no input's doing. Nothing is
     * counted or checked meanwhile.
     */
    public static void warmUp(Step... steps) throws Exception {
        warming = true;
        try {
            for (Step s : steps) {
                s.run();
            }
        } finally {
            warming = false;
        }
    }

    /** The input decoded (or the state machine took it); checks what it allocated since {@code mark}. */
    public void accepted(long mark, long bound) {
        if (!warming) {
            accepted.increment();
            check(mark, bound);
        }
    }

    /** The input was refused with the declared malformed-input exception; checks what it allocated since {@code mark}. */
    public void refused(long mark, long bound) {
        if (!warming) {
            refused.increment();
            check(mark, bound);
        }
    }

    /** One step of a scripted input (a frame of a script) stayed within {@code bound} since {@code mark}; not counted. */
    public void within(long mark, long bound) {
        if (!warming) {
            check(mark, bound);
        }
    }

    public void accepted() {
        if (!warming) {
            accepted.increment();
        }
    }

    public void refused() {
        if (!warming) {
            refused.increment();
        }
    }

    public long inputs() {
        return accepted.sum() + refused.sum();
    }

    private void check(long mark, long bound) {
        if (THREADS == null) {
            return;
        }
        long used = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId()) - mark;
        if (CLASSES.getTotalLoadedClassCount() != classesAtMark) {
            // a class loaded (and was instrumented by Jazzer) during this input: that allocation is no input's doing
            return;
        }
        mostAllocated.accumulateAndGet(used, Math::max);
        if (used > bound + MEASURING_SLACK + (FUZZING ? FUZZING_SLACK : 0)) {
            throw new AssertionError(name + ": one input made the decoder allocate " + used + " bytes, bound " + bound);
        }
    }

    /**
     * Cuts {@code input} into consecutive chunks the way a link's reads might: sizes 1..64 taken from the input's own
     * bytes (deterministic, so a finding reproduces). Each element is {@code {offset, length}}; together they cover
     * the input exactly.
     */
    public static java.util.List<int[]> chunks(byte[] input) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        int p = 0;
        int k = 0;
        while (p < input.length) {
            int n = Math.min(input.length - p, 1 + ((input[(k * 7) % input.length] & 0xff) ^ k) % 64);
            out.add(new int[] {p, n});
            p += n;
            k++;
        }
        return out;
    }

    /** One line for the test log: inputs run, how they ended, the most one input allocated. */
    public String report() {
        return String.format("fuzz %s: %d inputs ran (%d accepted, %d refused as malformed), at most %d bytes allocated by one input (%s)",
                name, inputs(), accepted.sum(), refused.sum(), mostAllocated.get(), mode());
    }

    public void print() {
        System.out.println(report());
    }

    private static String mode() {
        return FUZZING ? "fuzzing" : "regression: committed inputs";
    }

    private static com.sun.management.ThreadMXBean threads() {
        try {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                    && t.isThreadAllocatedMemorySupported()) {
                t.setThreadAllocatedMemoryEnabled(true);
                return t;
            }
        } catch (RuntimeException | LinkageError e) {
            // not a HotSpot-like JVM: counts only
        }
        return null;
    }
}
