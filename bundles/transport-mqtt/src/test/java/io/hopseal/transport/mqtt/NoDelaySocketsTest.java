package io.hopseal.transport.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

import javax.net.ssl.SSLSocketFactory;

import org.junit.jupiter.api.Test;

/** The broker connection's sockets have Nagle's algorithm off, plain and TLS, connected or not yet. */
class NoDelaySocketsTest {

    @Test
    void plainSocketsHaveNoDelay() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket unconnected = NoDelaySockets.plain().createSocket();
             Socket connected = NoDelaySockets.plain().createSocket(InetAddress.getLoopbackAddress(),
                     server.getLocalPort())) {
            assertThat(unconnected.getTcpNoDelay()).isTrue();
            assertThat(connected.getTcpNoDelay()).isTrue();
        }
    }

    @Test
    void tlsSocketsHaveNoDelayAndStayTls() throws Exception {
        SSLSocketFactory f = NoDelaySockets.tls((SSLSocketFactory) SSLSocketFactory.getDefault());
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket unconnected = f.createSocket();
             Socket connected = f.createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            assertThat(unconnected).isInstanceOf(javax.net.ssl.SSLSocket.class);
            assertThat(unconnected.getTcpNoDelay()).isTrue();
            assertThat(connected.getTcpNoDelay()).isTrue();
        }
        assertThat(f.getSupportedCipherSuites()).isNotEmpty();
    }
}
