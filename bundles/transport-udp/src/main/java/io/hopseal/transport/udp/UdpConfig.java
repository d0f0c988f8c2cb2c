package io.hopseal.transport.udp;

import java.time.Duration;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.support.InvalidFieldException;

/**
 * Settings of the UDP transport, checked ({@link InvalidFieldException} names a bad field).
 *
 * @param mtu               largest datagram payload sent; larger envelopes go in fragments (at most 16)
 * @param keepAlive         NAT keep-alive: a 1-byte datagram to each peer this node dialled, after this long without
 *                          sending to it (0: off)
 * @param peerIdle          a peer neither heard from nor sent to for this long is forgotten (no more keep-alives)
 * @param maxPeers          most peers remembered at once (their socket, keep-alive state)
 * @param reassemblyTimeout fragments of one message must all arrive within this time
 */
public record UdpConfig(int mtu, Duration keepAlive, Duration peerIdle, int maxPeers, Duration reassemblyTimeout) {
    /** Fits the IPv6 minimum MTU (1280) with IPv6 and UDP headers, and any path in practice. */
    public static final int DEFAULT_MTU = 1200;
    public static final UdpConfig DEFAULTS = new UdpConfig(DEFAULT_MTU, Duration.ofSeconds(25),
            Duration.ofMinutes(5), 10_000, Duration.ofSeconds(10));

    public UdpConfig {
        if (mtu < 64 || mtu > 65_507) {
            throw new InvalidFieldException("mtu", "must be 64 to 65507 bytes, was " + mtu);
        }
        if (keepAlive.isNegative() || keepAlive.toSeconds() > 3600) {
            throw new InvalidFieldException("keepAlive", "must be 0 (off) to 3600 s, was " + keepAlive.toSeconds()
                    + " s");
        }
        if (peerIdle.toSeconds() < 1 || peerIdle.toDays() > 7) {
            throw new InvalidFieldException("peerIdle", "must be 1 s to 7 days, was " + peerIdle.toSeconds() + " s");
        }
        if (maxPeers < 1 || maxPeers > 1_000_000) {
            throw new InvalidFieldException("maxPeers", "must be 1 to 1000000, was " + maxPeers);
        }
        if (reassemblyTimeout.toMillis() < 1 || reassemblyTimeout.toSeconds() > 600) {
            throw new InvalidFieldException("reassemblyTimeout", "must be 1 ms to 600 s, was "
                    + reassemblyTimeout.toMillis() + " ms");
        }
    }

    /** The largest envelope this configuration can send. */
    public int maxMessage() {
        return Fragments.maxMessage(mtu);
    }

    public UdpConfig withMtu(int m) {
        return new UdpConfig(m, keepAlive, peerIdle, maxPeers, reassemblyTimeout);
    }

    public UdpConfig withKeepAlive(Duration d) {
        return new UdpConfig(mtu, d, peerIdle, maxPeers, reassemblyTimeout);
    }
}
