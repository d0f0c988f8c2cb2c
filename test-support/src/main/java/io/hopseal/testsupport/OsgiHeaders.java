package io.hopseal.testsupport;

import java.util.ArrayList;
import java.util.List;

/** Manifest headers such as {@code Import-Package} and {@code Export-Package}, read as the build checks need them. */
public final class OsgiHeaders {
    private OsgiHeaders() {
    }

    /** The clauses of an OSGi header, split at commas outside quotes, quotes removed; empty for null. */
    public static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i <= header.length(); i++) {
            char c = i < header.length() ? header.charAt(i) : ',';
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(clause.toString());
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        return out;
    }

    /** The package names of an OSGi header's clauses (attributes and directives skipped). */
    public static List<String> packages(String header) {
        List<String> out = new ArrayList<>();
        for (String clause : clauses(header)) {
            String name = clause.split(";", 2)[0].trim();
            if (!name.isEmpty()) {
                out.add(name);
            }
        }
        return out;
    }
}
