package io.hopseal.impl.component;

import java.nio.file.Path;

/**
 * Where the channel component keeps resumable sessions: the one place that turns the configured text into a folder,
 * so that the node's state-folder setting (issue 16 item 1) can take over here. Until then the folder must be absolute:
 * a relative path would depend on the working directory (Kura's start script changes it).
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
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException("must be an absolute path, was '" + configured + "'");
        }
        return p.normalize();
    }
}
