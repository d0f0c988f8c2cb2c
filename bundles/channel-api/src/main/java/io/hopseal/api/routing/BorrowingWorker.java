package io.hopseal.api.routing;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link Worker} that reads a message's body only while {@link #handle} runs: what it keeps beyond that it copies.
 * Implementing it is a promise that lets the path lend it the frame's own array: a link's buffer or a sender's pooled
 * frame, opened in place by a secure channel, goes back to its owner as soon as {@code handle} returns, so a busy
 * service costs no array per message. A worker that keeps a {@link Message}, its {@link Payload} or the array behind
 * it must not implement this: after {@code handle} returns, the array holds another frame (or zeros).
 *
 * <p>Nothing else changes: the same router checks, threads and exceptions as any worker. A lambda can be one:
 * {@code node.service("sink", (BorrowingWorker) (m, ctx) -> count(m.body().length()))}.
 *
 * @since 2.5
 */
@ConsumerType
@FunctionalInterface
public interface BorrowingWorker extends Worker {
}
