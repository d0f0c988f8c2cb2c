package io.hopseal.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.hopseal.support.InvalidFieldException;
import io.hopseal.transport.mqtt.MqttLinkConfig;

/**
 * The {@code --mqtt} options every command with a node takes: one broker link, known in routes as
 * {@code /mqtt/broker:<peer topic id>}.
 */
final class MqttOptions {
    /** The link name of the command line's broker link. */
    static final String LINK = "broker";
    static final List<String> OPTS = List.of("mqtt", "mqtt-id", "mqtt-listen", "mqtt-user", "mqtt-password-file",
            "mqtt-trust", "mqtt-session");
    static final String HELP = """
              --mqtt tcp://HOST:PORT   also use an MQTT broker (ssl://HOST:PORT for TLS), known in routes as
                                       /mqtt/broker:<peer id>, e.g. /mqtt/broker:api/secure/api/service/echo
                --mqtt-id ID           this node's topic id and MQTT client id (default hopseal-<random>)
                --mqtt-listen NAME,... answer for these listener names through a shared subscription (backend
                                       instances that scale out all list the same name)
                --mqtt-user USER       broker user name
                --mqtt-password-file F broker password (first line of F)
                --mqtt-trust PEM       CA certificates to trust for ssl:// (default: the Java runtime's)
                --mqtt-session SECONDS the broker keeps this node's session (and the frames for it) this long while
                                       the node is away, so a restart loses nothing that reached the broker; needs
                                       --mqtt-id (default 0: a clean session at every connect)
            """;

    private MqttOptions() {
    }

    /** The broker link of {@code a}, or null without {@code --mqtt}; refused as a usage error before anything opens. */
    static MqttLinkConfig link(Args a) throws UsageException {
        String uri = a.get("mqtt");
        if (uri == null) {
            for (String o : OPTS) {
                if (a.has(o)) {
                    throw new UsageException("--" + o + " needs --mqtt URI");
                }
            }
            return null;
        }
        String id = a.get("mqtt-id", "hopseal-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
        List<String> listeners = new ArrayList<>();
        for (String n : a.get("mqtt-listen", "").split(",")) {
            if (!n.isBlank()) {
                listeners.add(n.strip());
            }
        }
        char[] password = new char[0];
        if (a.has("mqtt-password-file")) {
            try {
                password = Files.readAllLines(Path.of(a.get("mqtt-password-file"))).stream().findFirst().orElse("")
                        .toCharArray();
            } catch (IOException e) {
                throw new UsageException("--mqtt-password-file: cannot read " + a.get("mqtt-password-file"));
            }
        }
        long session = 0;
        if (a.has("mqtt-session")) {
            if (!a.has("mqtt-id")) {
                throw new UsageException("--mqtt-session needs --mqtt-id: the broker keeps a session for a client id "
                        + "that comes back, and a random one never does");
            }
            try {
                session = Long.parseLong(a.get("mqtt-session").strip());
            } catch (NumberFormatException e) {
                session = -1;
            }
            if (session < 0 || session > MqttLinkConfig.MAX_SESSION_EXPIRY_S) {
                throw new UsageException("--mqtt-session: seconds from 0 to " + MqttLinkConfig.MAX_SESSION_EXPIRY_S
                        + ", was '" + a.get("mqtt-session") + "'");
            }
        }
        try {
            return MqttLinkConfig.of(LINK, uri, id).withListeners(listeners)
                    .withCredentials(a.get("mqtt-user", ""), password).withTrustFile(a.get("mqtt-trust", ""))
                    .withSessionExpiry(java.time.Duration.ofSeconds(session));
        } catch (InvalidFieldException e) {
            throw new UsageException("--mqtt: " + e.getMessage());
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }
}
