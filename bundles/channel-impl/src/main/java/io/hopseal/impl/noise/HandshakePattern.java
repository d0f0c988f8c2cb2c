package io.hopseal.impl.noise;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Noise handshake pattern: pre-message tokens for each side plus the message sequence, parsed from the
 * specification's own notation (Noise rev. 34 §7). Every standard pattern is a row of text in {@link #TABLE};
 * the one generic {@link HandshakeState} runs all of them. {@code pskN} modifiers are applied by name
 * (§9.2), several at once with {@code +}, e.g. {@code NNpsk0+psk2}.
 *
 * @param name                the pattern name including modifiers, e.g. {@code XXpsk3}
 * @param initiatorPreMessage tokens ({@code e}, {@code s}) the responder knows of the initiator in advance
 * @param responderPreMessage tokens the initiator knows of the responder in advance
 * @param messages            the handshake messages in order
 */
public record HandshakePattern(String name, List<Token> initiatorPreMessage, List<Token> responderPreMessage,
        List<MessagePattern> messages) {

    /** A token of the pattern language. */
    public enum Token {
        E, S, EE, ES, SE, SS, PSK;

        /** The token as written in the spec, e.g. {@code es}. */
        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean isDh() {
            return this == EE || this == ES || this == SE || this == SS;
        }

        static Token parse(String text) {
            for (Token t : values()) {
                if (t.text().equals(text)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown Noise pattern token '" + text + "'");
        }
    }

    /**
     * One handshake message.
     *
     * @param fromInitiator true for {@code ->}, false for {@code <-}
     * @param tokens        the tokens in processing order
     */
    public record MessagePattern(boolean fromInitiator, List<Token> tokens) {
        public MessagePattern {
            tokens = List.copyOf(tokens);
        }

        @Override
        public String toString() {
            return (fromInitiator ? "-> " : "<- ") + join(tokens);
        }
    }

    /**
     * The standard base patterns of Noise rev. 34: one-way (§7.4), interactive fundamental (§7.5) and
     * deferred (§7.6). Modifiers are not listed: they are applied generically.
     */
    private static final Map<String, String> TABLE = table(
            // one-way
            "N", "<- s\n...\n-> e, es",
            "K", "-> s\n<- s\n...\n-> e, es, ss",
            "X", "<- s\n...\n-> e, es, s, ss",
            // interactive, fundamental
            "NN", "-> e\n<- e, ee",
            "NK", "<- s\n...\n-> e, es\n<- e, ee",
            "NX", "-> e\n<- e, ee, s, es",
            "KN", "-> s\n...\n-> e\n<- e, ee, se",
            "KK", "-> s\n<- s\n...\n-> e, es, ss\n<- e, ee, se",
            "KX", "-> s\n...\n-> e\n<- e, ee, se, s, es",
            "XN", "-> e\n<- e, ee\n-> s, se",
            "XK", "<- s\n...\n-> e, es\n<- e, ee\n-> s, se",
            "XX", "-> e\n<- e, ee, s, es\n-> s, se",
            "IN", "-> e, s\n<- e, ee, se",
            "IK", "<- s\n...\n-> e, es, s, ss\n<- e, ee, se",
            "IX", "-> e, s\n<- e, ee, se, s, es",
            // deferred
            "NK1", "<- s\n...\n-> e\n<- e, ee, es",
            "NX1", "-> e\n<- e, ee, s\n-> es",
            "X1N", "-> e\n<- e, ee\n-> s\n<- se",
            "X1K", "<- s\n...\n-> e, es\n<- e, ee\n-> s\n<- se",
            "XK1", "<- s\n...\n-> e\n<- e, ee, es\n-> s, se",
            "X1K1", "<- s\n...\n-> e\n<- e, ee, es\n-> s\n<- se",
            "X1X", "-> e\n<- e, ee, s, es\n-> s\n<- se",
            "XX1", "-> e\n<- e, ee, s\n-> es, s, se",
            "X1X1", "-> e\n<- e, ee, s\n-> es, s\n<- se",
            "K1N", "-> s\n...\n-> e\n<- e, ee\n-> se",
            "K1K", "-> s\n<- s\n...\n-> e, es\n<- e, ee\n-> se",
            "KK1", "-> s\n<- s\n...\n-> e\n<- e, ee, se, es",
            "K1K1", "-> s\n<- s\n...\n-> e\n<- e, ee, es\n-> se",
            "K1X", "-> s\n...\n-> e\n<- e, ee, s, es\n-> se",
            "KX1", "-> s\n...\n-> e\n<- e, ee, se, s\n-> es",
            "K1X1", "-> s\n...\n-> e\n<- e, ee, s\n-> se, es",
            "I1N", "-> e, s\n<- e, ee\n-> se",
            "I1K", "<- s\n...\n-> e, es, s\n<- e, ee\n-> se",
            "IK1", "<- s\n...\n-> e, s\n<- e, ee, se, es",
            "I1K1", "<- s\n...\n-> e, s\n<- e, ee, es\n-> se",
            "I1X", "-> e, s\n<- e, ee, s, es\n-> se",
            "IX1", "-> e, s\n<- e, ee, se, s\n-> es",
            "I1X1", "-> e, s\n<- e, ee, s\n-> se, es");

    public HandshakePattern {
        Objects.requireNonNull(name, "name");
        initiatorPreMessage = List.copyOf(initiatorPreMessage);
        responderPreMessage = List.copyOf(responderPreMessage);
        messages = List.copyOf(messages);
        validate(name, initiatorPreMessage, responderPreMessage, messages);
    }

    /** Names of the base patterns in the table (modifiers such as {@code psk2} can be added to any). */
    public static Set<String> standardNames() {
        return Collections.unmodifiableSet(new TreeSet<>(TABLE.keySet()));
    }

    /**
     * Resolves a pattern name with optional modifiers, e.g. {@code XX}, {@code IKpsk2}, {@code NNpsk0+psk2}.
     *
     * @throws IllegalArgumentException for an unknown base pattern or an unsupported/invalid modifier
     */
    public static HandshakePattern forName(String name) {
        Objects.requireNonNull(name, "name");
        int baseEnd = 0;
        while (baseEnd < name.length() && isBaseChar(name.charAt(baseEnd))) {
            baseEnd++;
        }
        String base = name.substring(0, baseEnd);
        String notation = TABLE.get(base);
        if (notation == null) {
            throw new IllegalArgumentException("unsupported Noise handshake pattern '" + base + "' in '" + name
                    + "' (supported: " + String.join(", ", standardNames()) + ", with pskN modifiers)");
        }
        HandshakePattern pattern = parse(base, notation);
        if (baseEnd == name.length()) {
            return pattern;
        }
        List<Integer> pskPositions = new ArrayList<>();
        for (String modifier : name.substring(baseEnd).split("\\+", -1)) {
            if (!modifier.matches("psk(0|[1-9][0-9]?)")) {
                throw new IllegalArgumentException("unsupported Noise pattern modifier '" + modifier + "' in '"
                        + name + "' (supported: pskN)");
            }
            int position = Integer.parseInt(modifier.substring(3));
            if (pskPositions.contains(position)) {
                throw new IllegalArgumentException("duplicate modifier '" + modifier + "' in '" + name + "'");
            }
            pskPositions.add(position);
        }
        return pattern.withPsks(name, pskPositions);
    }

    private static boolean isBaseChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /**
     * Parses a pattern written in the spec's notation: optional pre-message lines ({@code -> s}, {@code <- s})
     * followed by a {@code ...} line, then one line per message ({@code -> e, es}).
     *
     * @throws IllegalArgumentException if the notation is malformed or the pattern violates a validity rule
     */
    public static HandshakePattern parse(String name, String notation) {
        List<String> lines = new ArrayList<>();
        for (String line : notation.split("\n")) {
            if (!line.isBlank()) {
                lines.add(line.strip());
            }
        }
        int dots = lines.indexOf("...");
        List<Token> initiatorPre = List.of();
        List<Token> responderPre = List.of();
        if (dots >= 0) {
            if (dots > 2) {
                throw new IllegalArgumentException(name + ": at most two pre-message lines are allowed");
            }
            for (int i = 0; i < dots; i++) {
                MessagePattern pre = parseLine(name, lines.get(i));
                if (pre.fromInitiator() && (i > 0 || !initiatorPre.isEmpty())
                        || !pre.fromInitiator() && !responderPre.isEmpty()) {
                    throw new IllegalArgumentException(
                            name + ": pre-messages must be at most one '->' line followed by one '<-' line");
                }
                for (Token t : pre.tokens()) {
                    if (t != Token.E && t != Token.S) {
                        throw new IllegalArgumentException(name + ": pre-messages may only contain e and s");
                    }
                }
                if (pre.fromInitiator()) {
                    initiatorPre = pre.tokens();
                } else {
                    responderPre = pre.tokens();
                }
            }
        }
        List<MessagePattern> messages = new ArrayList<>();
        for (int i = dots + 1; i < lines.size(); i++) {
            messages.add(parseLine(name, lines.get(i)));
        }
        return new HandshakePattern(name, initiatorPre, responderPre, messages);
    }

    private static MessagePattern parseLine(String name, String line) {
        boolean fromInitiator;
        if (line.startsWith("->")) {
            fromInitiator = true;
        } else if (line.startsWith("<-")) {
            fromInitiator = false;
        } else {
            throw new IllegalArgumentException(name + ": line must start with -> or <-: '" + line + "'");
        }
        List<Token> tokens = new ArrayList<>();
        String rest = line.substring(2).strip();
        if (!rest.isEmpty()) {
            for (String t : rest.split(",")) {
                tokens.add(Token.parse(t.strip()));
            }
        }
        return new MessagePattern(fromInitiator, tokens);
    }

    /** This pattern with {@code psk} tokens inserted: position 0 starts message 1, position N ends message N. */
    private HandshakePattern withPsks(String newName, List<Integer> positions) {
        List<List<Token>> tokens = new ArrayList<>();
        for (MessagePattern m : messages) {
            tokens.add(new ArrayList<>(m.tokens()));
        }
        for (int position : positions) {
            if (position > messages.size()) {
                throw new IllegalArgumentException("modifier psk" + position + " in '" + newName + "' refers to "
                        + "message " + position + " but " + name + " has only " + messages.size() + " message(s)");
            }
            if (position == 0) {
                tokens.get(0).add(0, Token.PSK);
            } else {
                tokens.get(position - 1).add(Token.PSK);
            }
        }
        List<MessagePattern> modified = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            modified.add(new MessagePattern(messages.get(i).fromInitiator(), tokens.get(i)));
        }
        return new HandshakePattern(newName, initiatorPreMessage, responderPreMessage, modified);
    }

    /**
     * Structural validity (§7.3, §9.3): alternating messages starting with the initiator, no key sent twice,
     * no DH computed twice or before both its keys are known, and no encryption under a PSK-derived key by a
     * party that has not sent an ephemeral.
     */
    private static void validate(String name, List<Token> iPre, List<Token> rPre, List<MessagePattern> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException(name + ": a pattern needs at least one message");
        }
        Set<Token> iKeys = EnumSet.noneOf(Token.class);
        Set<Token> rKeys = EnumSet.noneOf(Token.class);
        for (Token t : iPre) {
            if (!iKeys.add(t)) {
                throw new IllegalArgumentException(name + ": initiator pre-message repeats " + t.text());
            }
        }
        for (Token t : rPre) {
            if (!rKeys.add(t)) {
                throw new IllegalArgumentException(name + ": responder pre-message repeats " + t.text());
            }
        }
        Set<Token> dhDone = EnumSet.noneOf(Token.class);
        boolean pskSeen = false;
        for (int i = 0; i < messages.size(); i++) {
            MessagePattern m = messages.get(i);
            if (m.fromInitiator() != (i % 2 == 0)) {
                throw new IllegalArgumentException(
                        name + ": messages must alternate, starting with the initiator (message " + (i + 1) + ")");
            }
            Set<Token> sender = m.fromInitiator() ? iKeys : rKeys;
            for (Token t : m.tokens()) {
                switch (t) {
                    case E, S -> {
                        if (!sender.add(t)) {
                            throw new IllegalArgumentException(name + ": message " + (i + 1) + " sends "
                                    + t.text() + " a second time");
                        }
                    }
                    case PSK -> pskSeen = true;
                    default -> {
                        Token iKey = (t == Token.EE || t == Token.ES) ? Token.E : Token.S;
                        Token rKey = (t == Token.EE || t == Token.SE) ? Token.E : Token.S;
                        if (!iKeys.contains(iKey) || !rKeys.contains(rKey)) {
                            throw new IllegalArgumentException(name + ": message " + (i + 1) + " uses " + t.text()
                                    + " before both keys are known");
                        }
                        if (!dhDone.add(t)) {
                            throw new IllegalArgumentException(name + ": " + t.text() + " appears twice");
                        }
                    }
                }
            }
            if (pskSeen && !sender.contains(Token.E)) {
                throw new IllegalArgumentException(name + ": message " + (i + 1)
                        + " would encrypt under a PSK-derived key before its sender sent an ephemeral");
            }
        }
    }

    /** True for the one-way patterns (a single message, initiator to responder): N, K, X and their variants. */
    public boolean isOneWay() {
        return messages.size() == 1;
    }

    /** Number of {@code psk} tokens, i.e. how many PSKs each side must supply. */
    public int pskCount() {
        int n = 0;
        for (MessagePattern m : messages) {
            for (Token t : m.tokens()) {
                if (t == Token.PSK) {
                    n++;
                }
            }
        }
        return n;
    }

    /** True if the pattern uses PSKs (then every {@code e} also calls MixKey, §9.2). */
    public boolean isPskMode() {
        return pskCount() > 0;
    }

    /** The pre-message tokens of one side. */
    public List<Token> preMessage(boolean initiator) {
        return initiator ? initiatorPreMessage : responderPreMessage;
    }

    /** True if the given side sends the given key ({@code E} or {@code S}) in any handshake message. */
    public boolean sends(boolean initiator, Token key) {
        for (MessagePattern m : messages) {
            if (m.fromInitiator() == initiator && m.tokens().contains(key)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Bytes the handshake adds to the payload of message {@code index}: public keys (with a tag when a static
     * key is encrypted) and the payload's tag once a key is established.
     *
     * @throws IllegalArgumentException if {@code index} is not a message of this pattern
     */
    public int messageOverhead(int index, int dhLen, int tagLen) {
        if (index < 0 || index >= messages.size()) {
            throw new IllegalArgumentException(
                    "message index " + index + " out of range for " + name + " (" + messages.size() + " messages)");
        }
        boolean psk = isPskMode();
        // A pre-message e in PSK mode calls MixKey, so the first message may already be encrypted.
        boolean hasKey = psk && (initiatorPreMessage.contains(Token.E) || responderPreMessage.contains(Token.E));
        for (int i = 0; i <= index; i++) {
            int overhead = 0;
            for (Token t : messages.get(i).tokens()) {
                switch (t) {
                    case E -> {
                        overhead += dhLen;
                        hasKey |= psk;
                    }
                    case S -> overhead += dhLen + (hasKey ? tagLen : 0);
                    default -> hasKey = true;
                }
            }
            if (i == index) {
                return overhead + (hasKey ? tagLen : 0);
            }
        }
        throw new AssertionError("unreachable");
    }

    /** The pattern in the spec's notation. */
    public String notation() {
        StringBuilder sb = new StringBuilder();
        if (!initiatorPreMessage.isEmpty()) {
            sb.append("-> ").append(join(initiatorPreMessage)).append('\n');
        }
        if (!responderPreMessage.isEmpty()) {
            sb.append("<- ").append(join(responderPreMessage)).append('\n');
        }
        if (sb.length() > 0) {
            sb.append("...\n");
        }
        for (MessagePattern m : messages) {
            sb.append(m).append('\n');
        }
        return sb.toString();
    }

    private static String join(List<Token> tokens) {
        StringBuilder sb = new StringBuilder();
        for (Token t : tokens) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(t.text());
        }
        return sb.toString();
    }

    private static Map<String, String> table(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    @Override
    public String toString() {
        return "HandshakePattern[" + name + "]";
    }
}
