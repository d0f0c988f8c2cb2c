package io.hopseal.runtime;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether a port is free before a part of the gateway that reports a busy port badly tries it: Felix HTTP Jetty
 * answers one with forty lines of stack traces and a gateway running on without its console. The check binds the way
 * Jetty does (address reuse on, so a port in TIME_WAIT counts as free) and closes at once.
 */
final class PortCheck {
    private PortCheck() {
    }

    /** True when another socket listens on {@code host:port}; false when free or when the check itself cannot tell. */
    static boolean inUse(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return false;
        } catch (BindException e) {
            return true;
        } catch (IOException | SecurityException | IllegalArgumentException e) {
            return false; // an unknown host or a port out of range: the part that binds reports it
        }
    }
}
