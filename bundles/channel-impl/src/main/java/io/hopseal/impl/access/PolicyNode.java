package io.hopseal.impl.access;

import java.util.Set;

/**
 * The compiled, immutable form of a policy. Evaluation walks the tree with plain loops and map look-ups and
 * allocates nothing. The tree's depth is bounded by the parser (nesting limit), so evaluation cannot overflow the
 * stack. {@link #print} writes the normalized text form, which parses back to an equal tree.
 */
abstract class PolicyNode {
    /** Binding strength for printing: or &lt; and &lt; not &lt; atoms. */
    static final int OR = 1;
    static final int AND = 2;
    static final int NOT = 3;
    static final int ATOM = 4;

    abstract boolean eval(Subject s);

    abstract int precedence();

    abstract void print(StringBuilder sb);

    /** Prints {@code child}, in parentheses when it binds more loosely than {@code min}. */
    static void printChild(StringBuilder sb, PolicyNode child, int min) {
        if (child.precedence() < min) {
            sb.append('(');
            child.print(sb);
            sb.append(')');
        } else {
            child.print(sb);
        }
    }

    static void printLiteral(StringBuilder sb, String value) {
        sb.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        sb.append('"');
    }

    static final class Const extends PolicyNode {
        static final Const TRUE = new Const(true);
        static final Const FALSE = new Const(false);
        private final boolean value;

        private Const(boolean value) {
            this.value = value;
        }

        @Override
        boolean eval(Subject s) {
            return value;
        }

        @Override
        int precedence() {
            return ATOM;
        }

        @Override
        void print(StringBuilder sb) {
            sb.append(value);
        }
    }

    static final class Or extends PolicyNode {
        private final PolicyNode[] children;

        Or(PolicyNode[] children) {
            this.children = children;
        }

        @Override
        boolean eval(Subject s) {
            for (PolicyNode c : children) {
                if (c.eval(s)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        int precedence() {
            return OR;
        }

        @Override
        void print(StringBuilder sb) {
            for (int i = 0; i < children.length; i++) {
                if (i > 0) {
                    sb.append(" or ");
                }
                printChild(sb, children[i], OR + 1);
            }
        }

        PolicyNode[] children() {
            return children;
        }
    }

    static final class And extends PolicyNode {
        private final PolicyNode[] children;

        And(PolicyNode[] children) {
            this.children = children;
        }

        @Override
        boolean eval(Subject s) {
            for (PolicyNode c : children) {
                if (!c.eval(s)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        int precedence() {
            return AND;
        }

        @Override
        void print(StringBuilder sb) {
            for (int i = 0; i < children.length; i++) {
                if (i > 0) {
                    sb.append(" and ");
                }
                printChild(sb, children[i], AND + 1);
            }
        }

        PolicyNode[] children() {
            return children;
        }
    }

    static final class Not extends PolicyNode {
        private final PolicyNode child;

        Not(PolicyNode child) {
            this.child = child;
        }

        @Override
        boolean eval(Subject s) {
            return !child.eval(s);
        }

        @Override
        int precedence() {
            return NOT;
        }

        @Override
        void print(StringBuilder sb) {
            sb.append("not ");
            printChild(sb, child, NOT);
        }
    }

    /** {@code subject.identifier} or {@code subject.<name>}. */
    static final class Ref {
        static final Ref IDENTIFIER = new Ref(null);
        /** Attribute name, or {@code null} for the identifier. */
        private final String name;

        private Ref(String name) {
            this.name = name;
        }

        static Ref attribute(String name) {
            return new Ref(name);
        }

        boolean isIdentifier() {
            return name == null;
        }

        /** The subject's value, or {@code null} when missing. */
        String valueOf(Subject s) {
            return name == null ? s.identifier() : s.attributes().get(name);
        }

        void print(StringBuilder sb) {
            sb.append("subject.").append(name == null ? "identifier" : name);
        }
    }

    static final class Has extends PolicyNode {
        private final Ref ref;

        Has(Ref ref) {
            this.ref = ref;
        }

        @Override
        boolean eval(Subject s) {
            return ref.valueOf(s) != null;
        }

        @Override
        int precedence() {
            return ATOM;
        }

        @Override
        void print(StringBuilder sb) {
            sb.append("has(");
            ref.print(sb);
            sb.append(')');
        }
    }

    /** {@code ref = "v"}: false when the value is missing. */
    static final class Equals extends PolicyNode {
        private final Ref ref;
        private final String value;

        Equals(Ref ref, String value) {
            this.ref = ref;
            this.value = value;
        }

        @Override
        boolean eval(Subject s) {
            return value.equals(ref.valueOf(s));
        }

        @Override
        int precedence() {
            return ATOM;
        }

        @Override
        void print(StringBuilder sb) {
            ref.print(sb);
            sb.append(" = ");
            printLiteral(sb, value);
        }
    }

    /** {@code ref != "v"}: also false when the value is missing (see {@link Policy}). */
    static final class NotEquals extends PolicyNode {
        private final Ref ref;
        private final String value;

        NotEquals(Ref ref, String value) {
            this.ref = ref;
            this.value = value;
        }

        @Override
        boolean eval(Subject s) {
            String v = ref.valueOf(s);
            return v != null && !value.equals(v);
        }

        @Override
        int precedence() {
            return ATOM;
        }

        @Override
        void print(StringBuilder sb) {
            ref.print(sb);
            sb.append(" != ");
            printLiteral(sb, value);
        }
    }

    /** {@code ref in ["a", "b"]}: false when the value is missing. */
    static final class In extends PolicyNode {
        /** Above this many values a hash set is used instead of a linear scan. */
        private static final int SCAN_LIMIT = 8;
        private final Ref ref;
        private final String[] values;
        private final Set<String> set;

        /** {@code values}: distinct, in the order written. */
        In(Ref ref, String[] values) {
            this.ref = ref;
            this.values = values;
            this.set = values.length > SCAN_LIMIT ? Set.of(values) : null;
        }

        @Override
        boolean eval(Subject s) {
            String v = ref.valueOf(s);
            if (v == null) {
                return false;
            }
            if (set != null) {
                return set.contains(v);
            }
            for (String candidate : values) {
                if (candidate.equals(v)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        int precedence() {
            return ATOM;
        }

        @Override
        void print(StringBuilder sb) {
            ref.print(sb);
            sb.append(" in [");
            for (int i = 0; i < values.length; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                printLiteral(sb, values[i]);
            }
            sb.append(']');
        }
    }
}
