package io.hopseal.itests.kura;

import static org.junit.Assert.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.credential.Authority;
import io.hopseal.impl.credential.CredentialVerifier.RevocationOutcome;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;
import io.hopseal.vault.MemoryVault;

/**
 * An operator of the test's own: an authority and its revocation list, sent to a gateway's {@code /service/revocations}
 * over a secure channel on TCP. Touches Hopseal classes, so it is loaded only once the packages are installed (see
 * {@link KuraProbe}).
 */
final class RevocationOperator {
    static final int ACCEPTED = RevocationOutcome.ACCEPTED.code();
    static final int OLDER_IGNORED = RevocationOutcome.OLDER_IGNORED.code();

    private RevocationOperator() {
    }

    /** A new authority (its encoded public identity, hex) and its list revoking some identifier (hex). */
    static String[] newAuthorityAndList() {
        Authority authority = new Authority(LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()));
        LocalIdentity revoked = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        return new String[] {HexFormat.of().formatHex(authority.identity().encodedHistory()),
            HexFormat.of().formatHex(authority.revocationList(Set.of(revoked.identity().identifier()), Set.of()).encoded())};
    }

    /** Sends a list to the gateway's listener {@code api} on TCP; returns the outcome code it answers. */
    static int send(int tcpPort, String listHex) throws Exception {
        TcpTransportConfig c = TcpTransportConfig.DEFAULTS.withConnectTimeout(Duration.ofSeconds(2));
        try (HopsealNode operator = HopsealNode.builder().transport(() -> new TcpTransport(c)).build()) {
            SecureChannel ch = operator.channels().connect("/tcp/127.0.0.1:" + tcpPort + "/secure/api/service/revocations",
                    ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(15))).get(20, TimeUnit.SECONDS);
            ch.send(HexFormat.of().parseHex(listHex));
            Message answer = ch.receive(Duration.ofSeconds(10));
            assertTrue("an answer from /service/revocations", answer != null && answer.payload().length == 1);
            return answer.payload()[0];
        }
    }
}
