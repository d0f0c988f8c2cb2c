package io.hopseal.transport.mqtt;

import java.nio.charset.StandardCharsets;

/**
 * The topic layout of MQTT links (docs/protocol.md, "MQTT links"). A channel frame from {@code src} to {@code dst} is
 * published on {@code <prefix>/<dst>/<src>}; a node subscribes to {@code <prefix>/<own id>/+} and, for each shared
 * listener name, to {@code $share/<group>/<prefix>/<listener>/+}. The last topic level names the sender, so the
 * receiver can answer it: it becomes {@code /mqtt/<link>:<src>} in the message's return route.
 *
 * <p>Topic ids are 1 to 64 characters of {@code [A-Za-z0-9._-]}: no MQTT wildcard, no level separator, no
 * {@code $}, nothing to escape. A prefix is one or more such ids joined by {@code /}.
 */
public final class MqttTopics {
    /** Longest topic id. */
    public static final int MAX_ID_LENGTH = 64;

    private final String prefix;

    /** @throws IllegalArgumentException for a prefix that is not ids joined by '/' */
    public MqttTopics(String prefix) {
        String p = prefix.strip();
        if (p.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        for (String level : p.split("/", -1)) {
            if (!isId(level)) {
                throw new IllegalArgumentException("must be topic levels of " + MAX_ID_LENGTH
                        + " characters at most from A-Z a-z 0-9 . _ - joined by '/', was '" + prefix + "'");
            }
        }
        this.prefix = p;
    }

    public String prefix() {
        return prefix;
    }

    /** The topic a frame for {@code dst} from {@code src} is published on. */
    public String topic(String dst, String src) {
        return prefix + '/' + dst + '/' + src;
    }

    /** What a node subscribes to for frames sent to {@code id} (its own id, or a listener name). */
    public String filter(String id) {
        return prefix + "/" + id + "/+";
    }

    /** The shared-subscription filter: one of the group's subscribers gets each message. */
    public String sharedFilter(String group, String id) {
        return "$share/" + group + "/" + filter(id);
    }

    /** The sender id of a received topic, or null when the topic is not {@code <prefix>/<id>/<valid id>}. */
    public String sender(String topic) {
        if (topic == null || topic.length() <= prefix.length() + 1 || !topic.startsWith(prefix)
                || topic.charAt(prefix.length()) != '/') {
            return null;
        }
        String rest = topic.substring(prefix.length() + 1);
        int slash = rest.indexOf('/');
        if (slash <= 0 || !isId(rest.substring(0, slash))) {
            return null;
        }
        String src = rest.substring(slash + 1);
        return isId(src) ? src : null;
    }

    /** Whether {@code s} is a valid topic id. */
    public static boolean isId(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.'
                    || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The address value {@code <link>:<id>} of a peer. */
    public static byte[] addressValue(String link, String id) {
        return (link + ':' + id).getBytes(StandardCharsets.UTF_8);
    }

    /** Splits an address value {@code <link>:<id>}; null when it is not one. */
    public static String[] splitAddress(String value) {
        int c = value.indexOf(':');
        if (c <= 0 || c == value.length() - 1) {
            return null;
        }
        String link = value.substring(0, c);
        String id = value.substring(c + 1);
        return isId(link) && isId(id) ? new String[] { link, id } : null;
    }
}
