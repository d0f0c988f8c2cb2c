package io.hopseal.impl.component;

import java.nio.file.Path;

/**
 * Where the channel component keeps resumable sessions: the one place that checks the configured text. A relative
 * folder is taken in the node's state folder by the component (never the working directory, which Kura's start script
 * changes); an absolute one is kept.
 */
final class SessionFolder {
    private SessionFolder() {
    }

    /**
     * The sessions folder for the configured text.
     *
     * @throws IllegalArgumentException naming the problem
     */
    static Path of(String configured) {
        Path p;
        try {
            p = Path.of(configured);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("is not a path: " + e.getMessage());
        }
        return p.normalize();
    }
}
