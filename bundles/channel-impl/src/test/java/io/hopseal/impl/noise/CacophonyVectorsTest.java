package io.hopseal.impl.noise;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every Cacophony vector for DH 25519 with AESGCM/ChaChaPoly and SHA256/BLAKE2s (236 of the 944):
 * each as its own dynamic test, plus a summary that runs them all again, counts what actually executed and
 * prints the count.
 */
class CacophonyVectorsTest {
    private static final Pattern SUPPORTED =
            Pattern.compile("Noise_.*_25519_(AESGCM|ChaChaPoly)_(SHA256|BLAKE2s)");
    private static final int EXPECTED = 236;
    private static final HexFormat HEX = HexFormat.of();

    @TestFactory
    Stream<DynamicTest> vectors() {
        return selected().stream()
                .map(v -> DynamicTest.dynamicTest(v.get("protocol_name").asText(), () -> run(v)));
    }

    @Test
    void summary() {
        List<JsonNode> vectors = selected();
        int executed = 0;
        int messages = 0;
        List<String> failures = new ArrayList<>();
        for (JsonNode v : vectors) {
            try {
                messages += run(v);
                executed++;
            } catch (AssertionError | RuntimeException e) {
                failures.add(v.get("protocol_name").asText() + ": " + e.getMessage());
            }
        }
        System.out.println("Noise vectors run: " + executed);
        assertThat(failures).as("failed vectors").isEmpty();
        assertThat(executed).as("vectors executed (%d messages checked)", messages).isGreaterThanOrEqualTo(EXPECTED);
    }

    private static List<JsonNode> selected() {
        try (InputStream in = CacophonyVectorsTest.class.getResourceAsStream("/noise/cacophony.json")) {
            assertThat(in).as("classpath resource /noise/cacophony.json").isNotNull();
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode v : new ObjectMapper().readTree(in).get("vectors")) {
                if (SUPPORTED.matcher(v.get("protocol_name").asText()).matches()) {
                    out.add(v);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs one vector end to end; returns the number of messages checked. */
    private static int run(JsonNode v) {
        NoiseProtocol protocol = NoiseProtocol.parse(v.get("protocol_name").asText());
        HandshakePattern pattern = protocol.pattern();
        HandshakeState init = side(protocol, true, v, "init_");
        HandshakeState resp = side(protocol, false, v, "resp_");
        JsonNode messages = v.get("messages");
        int handshakeMessages = pattern.messages().size();
        boolean oneWay = pattern.isOneWay();
        assertThat(messages.size()).isGreaterThanOrEqualTo(handshakeMessages);

        for (int i = 0; i < handshakeMessages; i++) {
            boolean fromInitiator = oneWay || i % 2 == 0; // README rule
            assertThat(pattern.messages().get(i).fromInitiator()).isEqualTo(fromInitiator);
            HandshakeState sender = fromInitiator ? init : resp;
            HandshakeState receiver = fromInitiator ? resp : init;
            byte[] payload = hex(messages.get(i), "payload");
            assertThat(sender.isMyTurnToWrite()).isTrue();
            assertThat(receiver.isMyTurnToWrite()).isFalse();
            byte[] ciphertext = sender.writeMessage(payload);
            assertThat(HEX.formatHex(ciphertext)).as("handshake message %d", i)
                    .isEqualTo(messages.get(i).get("ciphertext").asText());
            assertThat(ciphertext).hasSize(sender.messageOverhead(i) + payload.length);
            assertThat(receiver.readMessage(ciphertext)).as("payload %d", i).isEqualTo(payload);
        }
        assertThat(init.isComplete()).isTrue();
        assertThat(resp.isComplete()).isTrue();
        String expectedHash = v.get("handshake_hash").asText();
        assertThat(HEX.formatHex(init.handshakeHash())).isEqualTo(expectedHash);
        assertThat(HEX.formatHex(resp.handshakeHash())).isEqualTo(expectedHash);

        try (TransportKeys ik = init.split(); TransportKeys rk = resp.split()) {
            assertThat(HEX.formatHex(ik.handshakeHash())).isEqualTo(expectedHash);
            CipherState initSend = new CipherState(ik.sending(true));
            CipherState respRecv = new CipherState(rk.receiving(false));
            CipherState respSend = oneWay ? null : new CipherState(rk.sending(false));
            CipherState initRecv = oneWay ? null : new CipherState(ik.receiving(true));
            for (int i = handshakeMessages; i < messages.size(); i++) {
                boolean fromInitiator = oneWay || i % 2 == 0;
                CipherState enc = fromInitiator ? initSend : respSend;
                CipherState dec = fromInitiator ? respRecv : initRecv;
                byte[] payload = hex(messages.get(i), "payload");
                byte[] ciphertext = enc.encryptWithAd(new byte[0], payload);
                assertThat(HEX.formatHex(ciphertext)).as("transport message %d", i)
                        .isEqualTo(messages.get(i).get("ciphertext").asText());
                assertThat(dec.decryptWithAd(new byte[0], ciphertext)).as("transport payload %d", i)
                        .isEqualTo(payload);
            }
        }
        return messages.size();
    }

    private static HandshakeState side(NoiseProtocol protocol, boolean initiator, JsonNode v, String prefix) {
        HandshakeState.Builder b = HandshakeState.builder(protocol, initiator)
                .prologue(hex(v, prefix + "prologue"));
        if (v.has(prefix + "ephemeral")) {
            b.localEphemeral(LocalKeyPair.fromPrivate(hex(v, prefix + "ephemeral")));
        }
        if (v.has(prefix + "static")) {
            b.localStatic(LocalKeyPair.fromPrivate(hex(v, prefix + "static")));
        }
        if (v.has(prefix + "remote_static")) {
            b.remoteStatic(hex(v, prefix + "remote_static"));
        }
        if (v.has(prefix + "psks")) {
            List<byte[]> psks = new ArrayList<>();
            v.get(prefix + "psks").forEach(p -> psks.add(HEX.parseHex(p.asText())));
            b.psks(psks);
        }
        return b.build();
    }

    private static byte[] hex(JsonNode node, String field) {
        return HEX.parseHex(node.get(field).asText());
    }
}
