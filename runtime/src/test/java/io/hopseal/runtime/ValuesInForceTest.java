package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The banner's TCP line and the port check, without a gateway ({@link ValuesInForceIT} runs one). */
class ValuesInForceTest {
    @Test
    void theBannerShowsThePortTheListenerBinds() {
        assertThat(Gateway.tcpLine(4000, List.of(4000))).isEqualTo("4000   route: /tcp/<this host>:4000/secure/api/service/echo");
        assertThat(Gateway.tcpLine(70000, List.of(4002))).isEqualTo("4002   route: /tcp/<this host>:4002/secure/api/service/echo"
                + "   (the stored port 70000 is not in force: the log says why)");
        assertThat(Gateway.tcpLine(-1, List.of())).isEqualTo("(no TCP listener configured)");
        assertThat(Gateway.tcpLine(70000, List.of())).isEqualTo("(not listening: the stored port 70000 is invalid; "
                + "--tcp-port sets another)");
        assertThat(Gateway.tcpLine(4000, List.of())).contains("port 4000 is not available").contains("--tcp-port");
        // a second listener added in the console does not hide the configured one
        assertThat(RunningListeners.inForce(4000, List.of(4001, 4000))).isEqualTo(4000);
        assertThat(RunningListeners.inForce(4000, List.of())).isEqualTo(-1);
    }

    @Test
    void aPortCheckSeesAListeningSocketAndAFreePort() throws IOException {
        int port;
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = taken.getLocalPort();
            assertThat(PortCheck.inUse("127.0.0.1", port)).isTrue();
        }
        assertThat(PortCheck.inUse("127.0.0.1", port)).isFalse();
        assertThat(PortCheck.inUse("no-such-host.invalid", port)).as("cannot tell: Jetty reports it").isFalse();
    }
}
