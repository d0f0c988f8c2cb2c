package io.hopseal.transport.udp.component;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.Configs;
import io.hopseal.testsupport.Logs;

/**
 * The UDP components outside OSGi: the transport applies a new MTU live and refuses a bad one naming the property;
 * a listener binds, rebinds live, refuses an invalid port naming it and keeps a busy port's previous socket.
 */
class UdpComponentsTest {
    @Test
    void liveReconfigurationAndRefusedValues() throws Exception {
        UdpTransportComponent tc = new UdpTransportComponent();
        tc.activate(Configs.config(UdpTransportComponent.Config.class));
        try {
            tc.modified(Configs.config(UdpTransportComponent.Config.class, "mtu", 500));
            assertThat(tc.transport().config().mtu()).isEqualTo(500);
            String logs = Logs.logsOf(() -> tc.modified(Configs.config(UdpTransportComponent.Config.class, "mtu", 10)));
            assertThat(logs).contains("invalid property mtu");
            assertThat(tc.transport().config().mtu()).isEqualTo(500);

            UdpListenerComponent l = new UdpListenerComponent(tc);
            int free = freePort();
            l.activate(Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1", "port", free),
                    Map.of("service.pid", "u1"));
            assertThat(l.port()).isEqualTo(free);
            assertThat(tc.status()).contains("127.0.0.1:" + free);

            logs = Logs.logsOf(() -> l.apply(Configs.config(UdpListenerComponent.Config.class, "bind_address",
                    "127.0.0.1", "port", 70000)));
            assertThat(logs).contains("invalid property port");
            assertThat(l.port()).isEqualTo(free);

            try (DatagramSocket busy = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                logs = Logs.logsOf(() -> l.apply(Configs.config(UdpListenerComponent.Config.class, "bind_address",
                        "127.0.0.1", "port", busy.getLocalPort())));
                assertThat(logs).contains("cannot listen");
                assertThat(l.port()).as("the previous socket stays").isEqualTo(free);
            }
            int other = freePort();
            l.apply(Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1", "port", other));
            assertThat(l.port()).isEqualTo(other);
            assertThat(tc.status()).contains("127.0.0.1:" + other).doesNotContain("127.0.0.1:" + free);
            l.deactivate();
            assertThat(tc.status()).contains("not listening");
        } finally {
            tc.deactivate();
        }
    }

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }
}
