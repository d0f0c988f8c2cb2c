package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * Start-up of one XBee module after its port opened (sans-I/O: the caller passes the time; not thread-safe): reads
 * {@code AP} (API mode), {@code SH} and {@code SL} (its 64-bit address) and {@code NP} (maximum RF payload) with AT
 * command frames, one at a time. Each query is answered within {@code atTimeout} or sent again (new frame id), up to
 * {@code atAttempts} times; a module that never answers is reported {@linkplain Output#missing missing} and the whole
 * start-up is retried after a backoff ({@code retryInitial} doubling up to {@code retryMax}) for as long as the port
 * stays open. A module that resets (Modem Status 0x00/0x01) is read again. {@link #refreshPayload} re-reads NP alone
 * (after a 0x74 "payload too large").
 */
final class ModuleSession {
    /** The default maximum RF payload when a module does not answer NP (the value with network encryption on). */
    static final int FALLBACK_NP = 66;
    private static final String[] QUERIES = { "AP", "SH", "SL", "NP" };

    enum State {
        /** Port closed. */
        DOWN,
        /** Reading AP, SH, SL, NP. */
        QUERYING,
        /** Not answering; waiting to try again. */
        MISSING,
        /** Ready to carry messages. */
        READY
    }

    /** What a module learnt about itself. */
    record Info(long ieee, ApiMode apiMode, int np) {
    }

    interface Output {
        /** Writes an AT command; false if the line refused it. */
        boolean write(XBeeFrame.AtCommand frame);

        /** The module answered every query (again, after a reset or an NP refresh). */
        void ready(Info info);

        /** The module did not answer ({@code why} says what was tried); start-up is retried after {@code retryIn}. */
        void missing(String why, long retryInNanos);

        /** The module's AP differs from the configured one: use {@code actual} from now on. */
        void apiModeMismatch(ApiMode configured, ApiMode actual);

        /** The module does not answer NP; {@link #FALLBACK_NP} is used. */
        default void npUnsupported(int status) {
        }

        /** A Modem Status frame arrived. */
        default void modemStatus(XBeeFrame.ModemStatus status) {
        }
    }

    private final FrameIds ids;
    private final Output out;
    private final Counters counters;
    private ApiMode mode;
    private long atTimeoutNanos;
    private int atAttempts;
    private long retryInitialNanos;
    private long retryMaxNanos;

    private State state = State.DOWN;
    private int query; // index into QUERIES
    private boolean npOnly;
    private int frameId;
    private int attempts;
    private long deadline;
    private long retryBackoff;
    private long sh;
    private long sl;
    private int np;
    private ApiMode reported;
    private Info info;

    ModuleSession(FrameIds ids, Output out, Counters counters, ApiMode mode) {
        this.ids = ids;
        this.out = out;
        this.counters = counters;
        this.mode = mode;
    }

    void configure(long atTimeoutNanos, int atAttempts, long retryInitialNanos, long retryMaxNanos) {
        this.atTimeoutNanos = atTimeoutNanos;
        this.atAttempts = atAttempts;
        this.retryInitialNanos = retryInitialNanos;
        this.retryMaxNanos = retryMaxNanos;
    }

    /** The configured API mode changed: read everything again. */
    void setMode(ApiMode m, long now) {
        this.mode = m;
        if (state != State.DOWN) {
            start(now, true);
        }
    }

    State state() {
        return state;
    }

    /** What the module said, once {@link State#READY}. */
    Info info() {
        return info;
    }

    /** The port opened. */
    void opened(long now) {
        retryBackoff = retryInitialNanos;
        start(now, true);
    }

    /** The port closed. */
    void down() {
        release();
        state = State.DOWN;
        info = null;
    }

    private void release() {
        if (frameId != 0) {
            ids.release(frameId);
            frameId = 0;
        }
    }

    private void start(long now, boolean all) {
        release();
        state = State.QUERYING;
        npOnly = !all;
        query = all ? 0 : QUERIES.length - 1;
        attempts = 0;
        if (all) {
            info = null;
            reported = null;
        }
        send(now);
    }

    /** Re-reads NP (the module said a payload was too large). */
    void refreshPayload(long now) {
        if (state == State.READY) {
            counters.increment("module.np_refresh");
            start(now, false);
        }
    }

    private void send(long now) {
        int id = ids.allocate(this);
        if (id == 0) {
            counters.increment("frame_ids.exhausted");
            deadline = now + atTimeoutNanos;
            return;
        }
        attempts++;
        frameId = id;
        deadline = now + atTimeoutNanos;
        counters.increment("at.sent");
        if (!out.write(new XBeeFrame.AtCommand(id, QUERIES[query]))) {
            counters.increment("at.refused");
        }
    }

    /** An AT Command Response; false if it was not ours. */
    boolean onAtResponse(XBeeFrame.AtCommandResponse r, long now) {
        if (state != State.QUERYING || r.frameId() != frameId || !r.command().equals(QUERIES[query])) {
            counters.increment("at.unmatched");
            return false;
        }
        ids.release(frameId);
        frameId = 0;
        counters.increment("at.answered");
        String q = QUERIES[query];
        if (!r.ok() && !q.equals("NP")) {
            counters.increment("at.error");
            // AP/SH/SL always exist on Zigbee firmware: treat an error like silence, the start-up is retried
            giveUp("the module answered AT " + q + " with status " + r.status() + " (firmware without API support?)",
                    now);
            return true;
        }
        switch (q) {
            case "AP": {
                int ap = (int) r.value();
                try {
                    reported = ApiMode.ofAp(ap);
                } catch (IllegalArgumentException e) {
                    giveUp("the module reports AP=" + ap + ", which is not an API mode (set AP=1 or AP=2)", now);
                    return true;
                }
                break;
            }
            case "SH":
                sh = r.value() & 0xFFFFFFFFL;
                break;
            case "SL":
                sl = r.value() & 0xFFFFFFFFL;
                break;
            case "NP":
                if (r.ok() && r.data().length > 0 && r.value() >= Fragments.MIN_PAYLOAD) {
                    np = (int) Math.min(r.value(), 0xFFFF);
                } else {
                    np = FALLBACK_NP;
                    out.npUnsupported(r.status());
                }
                break;
            default:
                break;
        }
        query++;
        attempts = 0;
        if (query < QUERIES.length) {
            send(now);
            return true;
        }
        state = State.READY;
        retryBackoff = retryInitialNanos;
        if (npOnly && info != null) {
            info = new Info(info.ieee(), info.apiMode(), np);
        } else {
            info = new Info(sh << 32 | sl, reported, np);
            if (reported != mode) {
                ApiMode configured = mode;
                mode = reported;
                out.apiModeMismatch(configured, reported);
            }
        }
        counters.increment("module.ready");
        out.ready(info);
        return true;
    }

    /** A Modem Status: a reset means the module may have new settings (NP, address): read them again. */
    void onModemStatus(XBeeFrame.ModemStatus m, long now) {
        counters.increment("modem_status." + String.format("0x%02x", m.status()));
        out.modemStatus(m);
        if ((m.status() == XBeeFrame.ModemStatus.HARDWARE_RESET || m.status() == XBeeFrame.ModemStatus.WATCHDOG_RESET)
                && state != State.DOWN) {
            counters.increment("module.reset");
            start(now, true);
        }
    }

    void tick(long now) {
        if (state == State.QUERYING && now - deadline >= 0) {
            release();
            counters.increment("at.timeout");
            if (attempts < atAttempts) {
                send(now);
            } else {
                giveUp("no answer to AT " + QUERIES[query] + " after " + attempts + " attempt(s) of "
                        + atTimeoutNanos / 1_000_000 + " ms", now);
            }
        } else if (state == State.MISSING && now - deadline >= 0) {
            start(now, true);
        }
    }

    private void giveUp(String why, long now) {
        release();
        if (npOnly && info != null) {
            // a ready module that does not answer an NP refresh: keep going with what we know
            state = State.READY;
            counters.increment("module.np_refresh_failed");
            return;
        }
        state = State.MISSING;
        info = null;
        counters.increment("module.missing");
        long wait = retryBackoff;
        deadline = now + wait;
        retryBackoff = Math.min(retryBackoff * 2, retryMaxNanos);
        out.missing(why, wait);
    }

    long nextDeadline() {
        return state == State.QUERYING || state == State.MISSING ? deadline : Long.MAX_VALUE;
    }

    ApiMode mode() {
        return mode;
    }
}
