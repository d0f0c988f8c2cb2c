package io.hopseal.impl.channel;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.hopseal.api.routing.Message;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.memory.MemoryNetwork;

/**
 * Every channel-layer frame on an in-memory test network: handshake frames (their first byte), and each transport
 * frame's (receiving channel id, counter) pair, noting the pairs seen twice: a pair twice on the wire is a (key, nonce)
 * pair used twice.
 */
final class WireCapture {
    final List<Integer> handshakeFrames = new CopyOnWriteArrayList<>();
    /** The channel-layer length of each frame in {@link #handshakeFrames}, in the same order. */
    final List<Integer> handshakeSizes = new CopyOnWriteArrayList<>();
    final Set<String> reused = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> nonces = new ConcurrentHashMap<>();

    /** A capture that sees every frame of {@code net} and passes it on unchanged. */
    static WireCapture on(MemoryNetwork net) {
        WireCapture c = new WireCapture();
        net.setInterceptor((from, to, frame) -> {
            c.capture(frame);
            return List.of(frame);
        });
        return c;
    }

    void capture(byte[] frame) {
        try {
            Message m = Envelope.decode(frame);
            byte[] p = m.payload();
            int kind = p.length == 0 ? -1 : (p[0] & 0xff) >>> 4;
            if (kind >= 1 && kind <= 3) {
                handshakeSizes.add(p.length); // before the frame itself: a reader of the frames sees its size
                handshakeFrames.add(p[0] & 0xff);
            } else if (kind >= 4 && kind <= 7) { // docs/protocol.md §5: counter length in the low 3 bits
                int n = (p[0] & 7) + 1;
                long c = 0;
                for (int i = 0; i < n; i++) {
                    c = c << 8 | (p[1 + i] & 0xff);
                }
                String key = m.onwardRoute().addresses().get(m.onwardRoute().size() - 1) + "#" + c;
                if (nonces.merge(key, 1, Integer::sum) > 1) {
                    reused.add(key);
                }
            }
        } catch (Exception e) {
            throw new AssertionError("unreadable frame on the test network", e);
        }
    }
}
