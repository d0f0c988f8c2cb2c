package io.hopseal.impl.access;

import java.util.Objects;

/**
 * An access-control policy: a boolean expression over the {@link Subject} of a message (the identifier the peer
 * proved and the attributes of its verified credentials), e.g.
 * {@code subject.role = "sensor" and subject.site = "plant-3"}. Immutable and thread-safe; {@link #parse} compiles
 * the text once into a small tree that {@link #allows} evaluates per message without allocating.
 *
 * <h2>Grammar (EBNF)</h2>
 *
 * <pre>
 * policy     = expr ;
 * expr       = or ;
 * or         = and , { "or" , and } ;
 * and        = not , { "and" , not } ;
 * not        = "not" , not | primary ;
 * primary    = "(" , expr , ")" | "true" | "false" | comparison | call ;
 * comparison = ref , ( "=" | "!=" ) , literal
 *            | ref , "in" , "[" , literal , { "," , literal } , "]" ;
 * call       = "has" , "(" , ref , ")" ;
 * ref        = "subject.identifier" | "subject." , attrname ;     (* one word: no spaces inside *)
 * attrname   = ( letter | "_" ) , { letter | digit | "_" | "." | "-" } ;   (* at most 64 characters *)
 * literal    = '"' , { char - ( '"' | "\" | control ) | '\"' | "\\" } , '"' ;   (* at most 256 characters *)
 * letter     = "A" | ... | "Z" | "a" | ... | "z" ;
 * digit      = "0" | ... | "9" ;
 * </pre>
 *
 * <ul>
 * <li>Precedence from loosest to tightest: {@code or}, {@code and}, {@code not}; so {@code a or b and c} is
 * {@code a or (b and c)} and {@code not a and b} is {@code (not a) and b}.</li>
 * <li>Keywords ({@code and or not in has true false}) and {@code subject.} are lowercase; {@code AND} is an error.
 * Attribute names and literals are case-sensitive.</li>
 * <li>Whitespace (space, tab, CR, LF) may appear between any two tokens; it is needed only between two words.</li>
 * <li>In a literal, {@code \"} is a quote and {@code \\} a backslash; any other escape, and any raw control character,
 * is an error.</li>
 * <li>{@code subject.identifier} compares against identifier literals only ({@code "I"} + 40 hex digits; case of
 * {@code I} and of the hex digits is ignored). An attribute named {@code identifier} cannot be referenced.</li>
 * <li>Limits, checked before any recursion: at most {@value #MAX_LENGTH} characters of text and at most
 * {@value #MAX_DEPTH} levels of nesting, where each {@code (} and each {@code not} is one level. Attribute names at
 * most {@value #MAX_NAME_LENGTH} characters, literals at most {@value #MAX_LITERAL_LENGTH} characters.</li>
 * </ul>
 *
 * <h2>Semantics (chosen to fail closed)</h2>
 *
 * <ul>
 * <li>{@code ref = "v"} is true when the subject has the value and it equals {@code v} exactly.</li>
 * <li>{@code ref != "v"} is true when the subject <em>has</em> the value and it differs from {@code v}. A comparison
 * on a <strong>missing</strong> attribute is <strong>false for both {@code =} and {@code !=}</strong> (and for
 * {@code in}), so {@code subject.role != "admin"} does not admit a subject with no role at all.</li>
 * <li>{@code not} is plain boolean negation of its operand, so a missing attribute turns {@code not subject.role =
 * "admin"} <em>true</em>: {@code not (x = "v")} and {@code x != "v"} differ exactly for subjects without {@code x}.
 * Write {@code has(subject.role) and not subject.role = "admin"} (or simply {@code subject.role != "admin"}) when a
 * subject must carry the attribute.</li>
 * <li>{@code has(subject.x)} is true when the attribute is present (with any value, even empty);
 * {@code has(subject.identifier)} is true for every authenticated subject.</li>
 * <li>{@code true} admits every <em>authenticated</em> subject, {@code false} admits nobody.</li>
 * <li>The {@linkplain Subject#anonymous() anonymous subject} is never allowed by any policy, whatever the
 * expression: a policy only ever admits subjects that proved an identity.</li>
 * </ul>
 *
 * <p>{@link #equals} and {@link #hashCode} compare the {@linkplain #normalized() normalized form}: single spaces,
 * only the parentheses precedence needs, nested {@code and}/{@code or} flattened, identifier literals in canonical
 * case, duplicate list values dropped. Operand order is kept. {@link #toString()} is the text as given.
 */
public final class Policy {
    /** Maximum length of a policy's text, in characters. */
    public static final int MAX_LENGTH = 4096;
    /** Maximum nesting: each {@code (} and each {@code not} is one level. */
    public static final int MAX_DEPTH = 32;
    /** Maximum length of an attribute name. */
    public static final int MAX_NAME_LENGTH = 64;
    /** Maximum length of a string literal (after escapes are resolved), in characters. */
    public static final int MAX_LITERAL_LENGTH = 256;

    private final String text;
    private final PolicyNode root;
    private final String normalized;

    private Policy(String text, PolicyNode root) {
        this.text = text;
        this.root = root;
        StringBuilder sb = new StringBuilder(text.length());
        root.print(sb);
        this.normalized = sb.toString();
    }

    /**
     * Parses and compiles a policy.
     *
     * @throws PolicySyntaxException naming the 1-based column and what was expected and found
     * @throws NullPointerException  if {@code text} is {@code null}
     */
    public static Policy parse(String text) {
        Objects.requireNonNull(text, "policy text");
        return new Policy(text, PolicyParser.parse(text));
    }

    /**
     * Whether the subject satisfies this policy. Never throws: {@code null} and the anonymous subject are refused, and
     * an unexpected failure during evaluation counts as a refusal (fail closed).
     */
    public boolean allows(Subject subject) {
        if (subject == null || subject.identifier() == null) {
            return false;
        }
        try {
            return root.eval(subject);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The text as given to {@link #parse}. */
    public String text() {
        return text;
    }

    /**
     * The canonical text form (see the class comment); parses to an equal policy when it is at most
     * {@value #MAX_LENGTH} characters. Normalizing adds spaces around operators, so a policy typed compactly near the
     * limit can normalize to more (found by PolicyParserFuzzTest); {@link #parse} refuses such a form like any text
     * over the limit.
     */
    public String normalized() {
        return normalized;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Policy p && p.normalized.equals(normalized);
    }

    @Override
    public int hashCode() {
        return normalized.hashCode();
    }

    /** The text as given. */
    @Override
    public String toString() {
        return text;
    }
}
