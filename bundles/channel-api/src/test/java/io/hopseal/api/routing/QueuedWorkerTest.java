package io.hopseal.api.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.Await;

class QueuedWorkerTest {
    private static final WorkerContext CONTEXT = new WorkerContext() {
        @Override
        public Address address() {
            return Address.local("queued");
        }

        @Override
        public SendResult send(Message message) {
            throw new UnsupportedOperationException();
        }
    };

    private static Message message(int i) {
        return Message.to(Route.of(Address.local("queued")), Integer.toString(i).getBytes(StandardCharsets.US_ASCII));
    }

    private static int number(Message m) {
        return Integer.parseInt(new String(m.payload(), StandardCharsets.US_ASCII));
    }

    @Test
    void handsEveryMessageToItsOwnThreadInArrivalOrder() throws Exception {
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        QueuedWorker q = QueuedWorker.of("order", (m, ctx) -> {
            assertThat(ctx).isSameAs(CONTEXT);
            seen.add(number(m));
            threads.add(Thread.currentThread().getName());
        }, 1_000);
        for (int i = 0; i < 500; i++) {
            q.handle(message(i), CONTEXT); // returns at once: the caller is a link's thread
        }
        Await.until("500 handled", Duration.ofSeconds(30), () -> q.handled() == 500);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            expected.add(i);
        }
        assertThat(seen).isEqualTo(expected);
        assertThat(threads).containsOnly("hopseal-worker-order");
        assertThat(q.dropped()).isZero();
        assertThat(q.failed()).isZero();
    }

    @Test
    void aFullQueueDropsAndCountsWhileTheWorkerIsBlocked() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        QueuedWorker q = QueuedWorker.of("full", (m, ctx) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            seen.add(number(m));
        }, 4);
        q.handle(message(0), CONTEXT);
        assertThat(entered.await(30, TimeUnit.SECONDS)).as("the worker took the first message").isTrue();
        for (int i = 1; i <= 7; i++) {
            q.handle(message(i), CONTEXT); // never blocks, however long the worker takes
        }
        assertThat(q.queued()).isEqualTo(4);
        assertThat(q.dropped()).isEqualTo(3);
        release.countDown();
        Await.until("the waiting four handled", Duration.ofSeconds(30), () -> q.handled() == 5);
        assertThat(seen).containsExactly(0, 1, 2, 3, 4);
        assertThat(q.queued()).isZero();
    }

    @Test
    void anExceptionIsCountedAndTheNextMessageHandled() throws Exception {
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        QueuedWorker q = QueuedWorker.of("throws", (m, ctx) -> {
            if (number(m) % 2 == 0) {
                throw new IllegalStateException("even");
            }
            seen.add(number(m));
        }, 100);
        for (int i = 0; i < 10; i++) {
            q.handle(message(i), CONTEXT);
        }
        Await.until("10 handled", Duration.ofSeconds(30), () -> q.handled() == 10);
        assertThat(q.failed()).isEqualTo(5);
        assertThat(seen).containsExactly(1, 3, 5, 7, 9);
    }

    @Test
    void anIdleQueueHoldsNoThreadAndStartsOneForTheNextMessage() throws Exception {
        AtomicInteger count = new AtomicInteger();
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        String name = "hopseal-worker-idle-" + System.nanoTime();
        QueuedWorker q = QueuedWorker.of(name.substring("hopseal-worker-".length()), (m, ctx) -> {
            threads.add(Thread.currentThread());
            count.incrementAndGet();
        }, 10);
        q.handle(message(1), CONTEXT);
        Await.until("handled", Duration.ofSeconds(30), () -> count.get() == 1);
        assertThat(threads.get(0).getName()).isEqualTo(name);
        Await.until("the idle thread ended", Duration.ofMillis(QueuedWorker.IDLE_MILLIS + 30_000),
                () -> threadsNamed(name) == 0);
        q.handle(message(2), CONTEXT);
        Await.until("handled by a new thread", Duration.ofSeconds(30), () -> count.get() == 2);
        assertThat(threads.get(1)).isNotSameAs(threads.get(0));
        assertThat(threads.get(0).isAlive()).isFalse();
    }

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive())
                .count();
    }

    @Test
    void onAnExecutorNeverTwoAtOnceAndInOrder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            QueuedWorker q = QueuedWorker.of((m, ctx) -> {
                most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                seen.add(number(m));
                inside.decrementAndGet();
            }, pool, 10_000);
            for (int i = 0; i < 2_000; i++) {
                q.handle(message(i), CONTEXT); // the pool's four threads pick up the drain tasks as they come
            }
            Await.until("2,000 handled", Duration.ofSeconds(30), () -> q.handled() == 2_000);
            assertThat(most.get()).as("handled concurrently at most").isEqualTo(1);
            for (int i = 0; i < 2_000; i++) {
                assertThat(seen.get(i)).isEqualTo(i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void whatTheExecutorRefusesIsDroppedAndCounted() {
        QueuedWorker q = QueuedWorker.of((m, ctx) -> { }, task -> {
            throw new RejectedExecutionException("shut down");
        }, 10);
        q.handle(message(1), CONTEXT);
        q.handle(message(2), CONTEXT);
        assertThat(q.dropped()).isEqualTo(2);
        assertThat(q.queued()).isZero();
        assertThat(q.handled()).isZero();
    }

    @Test
    void refusesANonsensicalCapacity() {
        assertThatThrownBy(() -> QueuedWorker.of("x", (m, ctx) -> { }, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity");
    }
}
