package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesHostPort() {
        HostPort hp = HostPort.parse("10.0.0.5:4000");
        assertThat(hp.host).isEqualTo("10.0.0.5");
        assertThat(hp.port).isEqualTo(4000);
        assertThat(hp.key).isEqualTo("10.0.0.5:4000");
        assertThat(HostPort.parse("backend.example.com:443").host).isEqualTo("backend.example.com");
        HostPort v6 = HostPort.parse("[0:0:0:0:0:0:0:1]:4000");
        assertThat(v6.host).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(v6.key).isEqualTo("[::1]:4000");
    }

    @Test
    void refusesWhatIsNotHostPort() {
        for (String s : new String[] {"", "host", "host:", ":4000", "host:0", "host:65536", "host:12a", "::1:4000",
                "[::1]", "[::1]4000", "[nothex]:1", "a b:1", "a/b:1", "host:-1", "host:123456"}) {
            assertThat(HostPort.parse(s)).as(s).isNull();
        }
    }

    @Test
    void formatsSocketAddresses() throws Exception {
        assertThat(HostPort.format(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5))).isEqualTo("127.0.0.1:5");
        assertThat(HostPort.format(new InetSocketAddress(InetAddress.getByName("::1"), 53422))).isEqualTo("[::1]:53422");
        assertThat(HostPort.formatIpv6((Inet6Address) InetAddress.getByName("2001:db8:0:0:1:0:0:1")))
                .isEqualTo("2001:db8::1:0:0:1");
        assertThat(HostPort.formatIpv6((Inet6Address) InetAddress.getByName("2001:db8:0:1:1:1:1:1")))
                .isEqualTo("2001:db8:0:1:1:1:1:1");
        assertThat(HostPort.formatIpv6((Inet6Address) InetAddress.getByName("::"))).isEqualTo("::");
        assertThat(HostPort.formatIpv6((Inet6Address) InetAddress.getByName("fe80::")))
                .isEqualTo("fe80::");
    }
}
