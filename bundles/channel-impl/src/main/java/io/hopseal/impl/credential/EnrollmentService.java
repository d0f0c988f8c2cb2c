package io.hopseal.impl.credential;

import java.time.Duration;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * The authority's enrollment service (a worker, usually at {@code /service/enroll}): a device sends a one-time token
 * over a secure channel and receives a credential for the identifier that channel proved. Tokens sent outside a
 * secure channel are refused: the token alone must never be enough to get a credential for someone else's key.
 *
 * <pre>
 * request   version u8 = 1 ‖ token secret (16)
 * response  status u8 (0 ok, 1 unknown or forged token, 2 already used, 3 expired, 4 not over a secure channel,
 *           5 malformed) ‖ credential (full encoding, if ok)
 * </pre>
 */
public final class EnrollmentService implements Worker {
    private static final Logger LOG = LoggerFactory.getLogger(EnrollmentService.class);

    /** Response statuses, with their wire codes (docs/protocol.md §3.4): explicit, never the declaration order. */
    public enum Status {
        OK(0), UNKNOWN_TOKEN(1), USED(2), EXPIRED(3), NOT_AUTHENTICATED(4), MALFORMED(5);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        /** The response's status byte. */
        public int code() {
            return code;
        }

        /** The status with this code, or null for a code this version does not know. */
        static Status ofCode(int code) {
            for (Status s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            return null;
        }
    }

    /** What a device gets back. */
    public record Response(Status status, Credential credential) {
    }

    private final Authority authority;
    private final Counters counters = new Counters();

    private final Runnable afterRedemption;

    public EnrollmentService(Authority authority) {
        this(authority, () -> { });
    }

    /**
     * @param afterRedemption runs after a token was redeemed and before the credential is sent, e.g. to save the
     *                        tokens: a one-time token must stay used across an authority restart
     */
    public EnrollmentService(Authority authority, Runnable afterRedemption) {
        this.authority = authority;
        this.afterRedemption = java.util.Objects.requireNonNull(afterRedemption, "afterRedemption");
    }

    @Override
    public void handle(Message m, WorkerContext ctx) {
        Status st;
        Credential c = null;
        byte[] p = m.payload();
        if (m.securePeer() == null) {
            st = Status.NOT_AUTHENTICATED;
        } else if (p.length != 17 || p[0] != 1) {
            st = Status.MALFORMED;
        } else {
            Authority.Redemption r = authority.redeem(Arrays.copyOfRange(p, 1, 17), m.securePeer());
            st = switch (r.status()) {
                case OK -> Status.OK;
                case UNKNOWN -> Status.UNKNOWN_TOKEN;
                case USED -> Status.USED;
                case EXPIRED -> Status.EXPIRED;
                case MALFORMED -> Status.MALFORMED;
            };
            c = r.credential();
            if (st == Status.OK) {
                afterRedemption.run();
            }
        }
        counters.increment("enroll." + st.name().toLowerCase(java.util.Locale.ROOT));
        // never log the token; the subject is public
        LOG.info("enrollment request from {}: {}", m.securePeer(), st);
        byte[] cred = c == null ? new byte[0] : c.encoded();
        byte[] out = new byte[1 + cred.length];
        out[0] = (byte) st.code();
        System.arraycopy(cred, 0, out, 1, cred.length);
        ctx.reply(m, out);
    }

    public java.util.Map<String, Long> counters() {
        return counters.snapshot();
    }

    /**
     * Device side: sends {@code token} through {@code channel} to the enrollment service at {@code service} (on the
     * far side) and waits for the answer. Returns the status and, if OK, the credential (not yet verified: verify it
     * or just present it).
     */
    public static Response enroll(SecureChannel channel, Route service, String token, Duration timeout)
            throws InterruptedException {
        byte[] secret = Authority.parseToken(token);
        if (secret == null) {
            return new Response(Status.MALFORMED, null);
        }
        byte[] req = new byte[17];
        req[0] = 1;
        System.arraycopy(secret, 0, req, 1, 16);
        Arrays.fill(secret, (byte) 0);
        channel.send(service, req);
        Arrays.fill(req, (byte) 0);
        Message reply = channel.receive(timeout);
        if (reply == null || reply.payload().length < 1) {
            return new Response(Status.MALFORMED, null);
        }
        Status st = Status.ofCode(reply.payload()[0] & 0xff);
        if (st == null) {
            return new Response(Status.MALFORMED, null);
        }
        if (st != Status.OK) {
            return new Response(st, null);
        }
        try {
            return new Response(st, CredentialCodec.decode(Arrays.copyOfRange(reply.payload(), 1, reply.payload().length))
                    .credential());
        } catch (MalformedMessageException e) {
            return new Response(Status.MALFORMED, null);
        }
    }
}
