package io.hopseal.api.channel;

/** The Noise handshake patterns a channel can use. */
public enum HandshakePattern {
    /** Three messages, both identities proven in the handshake; no prior knowledge needed. The default. */
    XX,
    /** Two messages; both sides already know each other's static keys (a {@link KnownPeer}). Smallest on the wire. */
    KK,
    /** Two messages; the initiator knows the responder's static key, and proves its own identity in message 1. */
    IK
}
