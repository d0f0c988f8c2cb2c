package io.hopseal.transport.zigbee;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/** Start-up without I/O: AP, SH, SL, NP in turn, timeouts, a silent module, a reset, an API mode mismatch. */
class ModuleSessionTest {
    static final long MS = 1_000_000L;

    final List<XBeeFrame.AtCommand> sent = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    final Counters counters = new Counters();
    final FrameIds ids = new FrameIds();
    ModuleSession s;
    long now;

    @BeforeEach
    void setUp() {
        s = new ModuleSession(ids, new ModuleSession.Output() {
            @Override
            public boolean write(XBeeFrame.AtCommand frame) {
                sent.add(frame);
                return true;
            }

            @Override
            public void ready(ModuleSession.Info info) {
                events.add(String.format("ready %016X %s %d", info.ieee(), info.apiMode(), info.np()));
            }

            @Override
            public void missing(String why, long retryInNanos) {
                events.add("missing " + why + " retry " + retryInNanos / MS);
            }

            @Override
            public void apiModeMismatch(ApiMode configured, ApiMode actual) {
                events.add("mismatch " + configured + " " + actual);
            }
        }, counters, ApiMode.API_ESCAPED);
        s.configure(100 * MS, 3, 500 * MS, 2000 * MS);
    }

    void answer(String value) {
        XBeeFrame.AtCommand q = sent.get(sent.size() - 1);
        s.onAtResponse(new XBeeFrame.AtCommandResponse(q.frameId(), q.command(), 0,
                java.util.HexFormat.of().parseHex(value)), now);
    }

    @Test
    void readsApShSlNpInTurn() {
        s.opened(now);
        assertThat(sent).extracting(XBeeFrame.AtCommand::command).containsExactly("AP");
        answer("02");
        answer("0013A200");
        answer("40A1B2C3");
        answer("0054");
        assertThat(sent).extracting(XBeeFrame.AtCommand::command).containsExactly("AP", "SH", "SL", "NP");
        assertThat(events).containsExactly("ready 0013A20040A1B2C3 API_ESCAPED 84");
        assertThat(s.state()).isEqualTo(ModuleSession.State.READY);
        assertThat(s.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(ids.inUse()).isZero();
    }

    @Test
    void aSilentModuleIsReportedMissingAndAskedAgainWithBackoff() {
        s.opened(now);
        for (int i = 0; i < 3; i++) {
            now = s.nextDeadline();
            s.tick(now);
        }
        assertThat(sent).hasSize(3).allMatch(a -> a.command().equals("AP"));
        assertThat(events).containsExactly("missing no answer to AT AP after 3 attempt(s) of 100 ms retry 500");
        assertThat(s.state()).isEqualTo(ModuleSession.State.MISSING);
        now = s.nextDeadline();
        s.tick(now);
        assertThat(s.state()).isEqualTo(ModuleSession.State.QUERYING);
        for (int i = 0; i < 3; i++) {
            now = s.nextDeadline();
            s.tick(now);
        }
        assertThat(events.get(1)).endsWith("retry 1000");
        // it wakes up
        now = s.nextDeadline();
        s.tick(now);
        answer("02");
        answer("00000000");
        answer("00000001");
        answer("0042");
        assertThat(events.get(events.size() - 1)).isEqualTo("ready 0000000000000001 API_ESCAPED 66");
        assertThat(counters.get("module.missing")).isEqualTo(2);
        assertThat(counters.get("at.timeout")).isEqualTo(6);
    }

    @Test
    void aLateOrForeignAnswerIsIgnored() {
        s.opened(now);
        XBeeFrame.AtCommand q = sent.get(0);
        s.onAtResponse(new XBeeFrame.AtCommandResponse(q.frameId() + 1, "AP", 0, new byte[] { 2 }), now);
        s.onAtResponse(new XBeeFrame.AtCommandResponse(q.frameId(), "SH", 0, new byte[] { 2 }), now);
        assertThat(counters.get("at.unmatched")).isEqualTo(2);
        assertThat(sent).hasSize(1);
    }

    @Test
    void theModulesApiModeWins() {
        s.opened(now);
        answer("01");
        answer("00000000");
        answer("00000002");
        answer("0054");
        assertThat(events).containsExactly("mismatch API_ESCAPED API", "ready 0000000000000002 API 84");
        assertThat(s.mode()).isEqualTo(ApiMode.API);
    }

    @Test
    void transparentModeIsReportedAsMissing() {
        s.opened(now);
        answer("00");
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).contains("AP=0").contains("set AP=1 or AP=2");
    }

    @Test
    void aResetMeansAskingAgainAndAnNpRefreshKeepsTheRest() {
        s.opened(now);
        answer("02");
        answer("00000000");
        answer("00000003");
        answer("0054");
        s.onModemStatus(new XBeeFrame.ModemStatus(0x00), now);
        assertThat(s.state()).isEqualTo(ModuleSession.State.QUERYING);
        assertThat(sent.get(sent.size() - 1).command()).isEqualTo("AP");
        answer("02");
        answer("00000000");
        answer("00000003");
        answer("0042");
        s.refreshPayload(now);
        assertThat(sent.get(sent.size() - 1).command()).isEqualTo("NP");
        assertThat(s.state()).isEqualTo(ModuleSession.State.QUERYING);
        answer("0039");
        assertThat(events).containsExactly("ready 0000000000000003 API_ESCAPED 84", "ready 0000000000000003 API_ESCAPED 66",
                "ready 0000000000000003 API_ESCAPED 57");
    }

    @Test
    void npNotAnsweredFallsBackTo66() {
        s.opened(now);
        answer("02");
        answer("00000000");
        answer("00000004");
        XBeeFrame.AtCommand q = sent.get(sent.size() - 1);
        s.onAtResponse(new XBeeFrame.AtCommandResponse(q.frameId(), "NP", 2, new byte[0]), now);
        assertThat(events).containsExactly("ready 0000000000000004 API_ESCAPED 66");
    }
}
