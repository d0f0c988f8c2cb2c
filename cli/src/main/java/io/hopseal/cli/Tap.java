package io.hopseal.cli;

import java.io.PrintStream;
import java.util.HexFormat;
import java.util.Map;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;

/** Prints what a relay forwards ({@code relay --tap}): enough to show it only ever holds ciphertext. */
final class Tap implements Transport {
    private final Transport inner;
    private final PrintStream out;

    Tap(Transport inner, PrintStream out) {
        this.inner = inner;
        this.out = out;
    }

    @Override
    public int addressType() {
        return inner.addressType();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void attach(InboundSink sink) {
        inner.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        inner.detach(sink);
    }

    @Override
    public int linkHeadroom() {
        return inner.linkHeadroom();
    }

    @Override
    public SendResult send(Address nextHop, Message m) {
        print(nextHop, m);
        return inner.send(nextHop, m);
    }

    /** A lent frame is printed before the inner transport may release it, and keeps its release. */
    @Override
    public SendResult send(Address nextHop, Message m, FrameRelease release) {
        print(nextHop, m);
        return inner.send(nextHop, m, release);
    }

    private void print(Address nextHop, Message m) {
        byte[] p = m.payload();
        String hex = HexFormat.of().formatHex(p, 0, Math.min(p.length, 24));
        out.println("tap: to " + nextHop + " onward " + m.onwardRoute() + " return " + m.returnRoute() + " | "
                + p.length + " bytes " + hex + (p.length > 24 ? "..." : ""));
    }

    @Override
    public Map<String, Long> counters() {
        return inner.counters();
    }
}
