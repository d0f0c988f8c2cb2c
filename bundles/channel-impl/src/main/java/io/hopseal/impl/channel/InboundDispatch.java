package io.hopseal.impl.channel;

import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.credential.CredentialStatus;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.impl.credential.CredentialCodec;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.routing.DefaultRouter;

/**
 * What a channel end does with a frame from its peer (wireguard-go's {@code receive.go}): handshake frames go to
 * {@link HandshakeFlow}; transport frames are opened (replay window, AEAD) and dispatched by kind: bound data to the
 * bound service or the application, routed data along its inner route, close, and control messages (credential
 * refresh, ping, pong). Runs on the thread that delivered the frame (a link's reader) and holds no lock while it
 * delivers or sends.
 */
final class InboundDispatch {
    private InboundDispatch() {
    }

    /**
     * A frame at the remote address. {@code release} (null: not lent) goes back only after bound data reached a
     * service that borrows it, with the plaintext wiped: everything else may keep the array.
     */
    static void onRemote(ChannelEndpoint ep, Message m, FrameRelease release) {
        // the frame is a view into the link's buffer, handed over with the message (no copy on the way in)
        Payload body = m.body();
        byte[] fb = body.array();
        int fo = body.offset();
        int fl = body.length();
        if (fl == 0) {
            ep.count("drop.malformed");
            return;
        }
        if (fl == 1 && fb[fo] == UnknownChannelHint.HINT) {
            UnknownChannelHint.onHint(ep); // unauthenticated: it may only make this end ask its peer
            return;
        }
        int kind = (fb[fo] & 0xff) >>> 4;
        if (kind <= 3) {
            HandshakeFlow.onFrame(ep, m, body.toArray()); // handshake frames: rare and small
            return;
        }
        TransportCrypto c = ep.crypto;
        if (c == null || ep.state != ChannelState.OPEN) {
            if (!HandshakeFlow.bufferEarly(ep, m)) {
                ep.count("drop.not_open");
            }
            return;
        }
        // Data is decrypted in place and delivered as a view: the link made this frame's array for this message and
        // handed it over (InboundSink), so the plaintext costs no array. A frame that does not authenticate leaves the
        // array as it was. Control messages get an array of their own (a ping's answer reuses it).
        TransportCrypto.Opened o = kind == Wire.CONTROL ? c.open(fb, fo, fl) : c.openInPlace(fb, fo, fl);
        if (!o.ok()) {
            ep.count(o.drop().counter);
            return;
        }
        HandshakeFlow.confirmPeer(ep);
        Liveness.heard(ep);
        if (o.newest() && !m.returnRoute().isEmpty() && !m.returnRoute().equals(ep.peerRoute)) {
            // roaming: the peer's newest authenticated message came another way (a link was re-established
            // through another port, a gateway restarted): answer along the path that works now
            ep.peerRoute = ep.service.shareRoute(m.returnRoute());
            ep.count("route.changes");
            SessionResumption.routeChanged(ep);
        }
        switch (o.kind()) {
            case Wire.DATA_BOUND -> deliverBound(ep, new Payload(o.buffer(), o.offset(), o.length(), 0), release);
            case Wire.DATA_ROUTED -> deliverRouted(ep, o.buffer(), o.offset(), o.length());
            case Wire.CLOSE -> {
                int reason = o.length() > 0 ? o.buffer()[o.offset()] : Wire.CLOSE_NORMAL;
                ep.finish(reason == Wire.CLOSE_REFUSED || reason == Wire.CLOSE_REVOKED ? CloseReason.REFUSED_BY_PEER
                        : CloseReason.PEER_CLOSED, false);
            }
            case Wire.CONTROL -> onControl(ep, o.plaintext());
            default -> ep.count("drop.malformed");
        }
    }

    /** A control message: a credential refresh, a ping (answered at once) or a pong. */
    private static void onControl(ChannelEndpoint ep, byte[] pt) {
        if (pt.length == 5 && (pt[0] == Wire.CONTROL_PING || pt[0] == Wire.CONTROL_PONG)) {
            if (pt[0] == Wire.CONTROL_PING) {
                Liveness.answer(ep, pt);
            } else {
                Liveness.onPong(ep, pt);
            }
            return;
        }
        if (pt.length > 0 && pt[0] == RouteErrorWatch.CONTROL_ROUTE_ERROR) {
            RouteErrorWatch.fromPeer(ep, pt);
            return;
        }
        if (pt.length < 2 || pt[0] != Wire.CONTROL_CREDENTIALS) {
            ep.count("drop.malformed_control");
            return;
        }
        int n = pt[1] & 0xff;
        if (n < 1 || n > Wire.MAX_CREDENTIALS) {
            ep.count("drop.malformed_control");
            return;
        }
        Envelope.Reader r = new Envelope.Reader(pt, 2, pt.length);
        CredentialVerifier v = ep.service.verifier();
        try {
            for (int i = 0; i < n; i++) {
                CredentialCodec.Decoded d = CredentialCodec.read(r, ep.peer.identifier());
                CredentialStatus st = v == null ? CredentialStatus.UNKNOWN_ISSUER
                        : v.verify(d, ep.peer.identifier()).status();
                if (st.isValid()) {
                    ep.service.attributeStore().add(d.credential());
                    ep.count("credentials.refreshed");
                } else {
                    ep.count("credentials.refused");
                    ChannelEndpoint.LOG.info("credential refresh from {} refused: {}", ep.peer.identifier(), st);
                }
            }
        } catch (MalformedMessageException | IllegalArgumentException e) {
            ep.count("drop.malformed_control");
        }
    }

    private static void deliverBound(ChannelEndpoint ep, Payload payload, FrameRelease release) {
        Route bound = ep.boundRoute;
        Identifier id = ep.peer.identifier();
        if (!ep.initiator && bound != null) {
            SendResult r = toBoundService(ep, bound, new Message(Route.EMPTY, Route.of(ep.localReg.address()), payload,
                    id), release);
            if (r.isDropped()) {
                ep.count("deliver." + r.counterName());
                RouteErrorWatch.fromDelivery(ep, r, bound, payload);
            }
        } else {
            Route back = ep.initiator && bound != null ? bound.prepend(ep.localReg.address())
                    : Route.of(ep.localReg.address());
            ReceiveQueue.deliver(ep, new Message(Route.EMPTY, back, payload, id));
        }
    }

    /**
     * Delivers to the responder's bound service: straight to its registration, resolved once per channel end (the
     * router's checks and counting, no second routing pass); through the router when the bound route has more hops,
     * the router is not a {@link DefaultRouter} or nobody is registered there. A lent frame goes back when the service
     * borrows ({@link io.hopseal.api.routing.BorrowingWorker}) and took it, its plaintext wiped first.
     */
    private static SendResult toBoundService(ChannelEndpoint ep, Route bound, Message m, FrameRelease release) {
        DefaultRouter.LocalTarget t = ep.boundTarget;
        if (t == null || !t.isOpen() || !t.address().equals(bound.first()) || bound.size() != 1) {
            DefaultRouter router = bound.size() == 1 && bound.first().isLocal()
                    ? DefaultRouter.behind(ep.service.router()) : null;
            t = router == null ? null : router.target(bound.first());
            if (t == null) {
                return ep.service.router().send(m.withOnwardRoute(bound));
            }
            ep.boundTarget = t;
        }
        SendResult r = t.deliver(m);
        if (release != null && r == SendResult.DELIVERED && t.borrows()) {
            Payload p = m.body(); // read during handle only: back to its owner, holding no plaintext
            java.util.Arrays.fill(p.array(), p.offset(), p.offset() + p.length(), (byte) 0);
            release.release();
        }
        return r;
    }

    private static void deliverRouted(ChannelEndpoint ep, byte[] buf, int off, int len) {
        Envelope.Reader r = new Envelope.Reader(buf, off, off + len);
        Route onward;
        Route back;
        try {
            onward = Envelope.readRoute(r, "inner onward");
            back = Envelope.readRoute(r, "inner return");
        } catch (MalformedMessageException | IllegalArgumentException e) {
            ep.count("drop.malformed_inner");
            return;
        }
        Payload payload = Payload.of(buf, r.position(), r.remaining()); // a view: the frame was opened in place
        Route ret = back.prepend(ep.localReg.address());
        Message m = new Message(onward, ret, payload, ep.peer.identifier());
        if (onward.isEmpty()) {
            ReceiveQueue.deliver(ep, m);
        } else {
            SendResult res = ep.service.router().send(m);
            if (res.isDropped()) {
                ep.count("deliver." + res.counterName());
                RouteErrorWatch.fromDelivery(ep, res, onward, payload);
            }
        }
    }
}
