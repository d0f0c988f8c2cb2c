package io.hopseal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Effective access to what lies inside a folder, for tests: another user can read or change a file (list or change a
 * folder) only when the file grants it to the group or to others and every folder from the root down to the file's
 * own folder grants them search ({@code x}); a folder that grants search alone is enough, since a name can be opened
 * without listing the folder.
 */
final class OwnerOnly {
    private OwnerOnly() {
    }

    /**
     * Who besides the owner can reach {@code f} (a path inside {@code root}, or {@code root} itself), as
     * {@code "group"} or {@code "others"}, or null when nobody can. Symbolic links are not followed (what they name
     * is judged where it lies).
     */
    static String othersCanAccess(Path root, Path f) throws IOException {
        if (Files.isSymbolicLink(f)) {
            return null;
        }
        Set<PosixFilePermission> own = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS);
        String[] who = {"group", "others"};
        PosixFilePermission[][] rwx = {
            {PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE},
            {PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE}};
        for (int i = 0; i < who.length; i++) {
            if (!own.contains(rwx[i][0]) && !own.contains(rwx[i][1])) {
                continue;
            }
            boolean reachable = true;
            for (Path d = f.getParent(); reachable && d != null && d.startsWith(root); d = d.getParent()) {
                reachable = Files.getPosixFilePermissions(d, LinkOption.NOFOLLOW_LINKS).contains(rwx[i][2]);
            }
            if (reachable) {
                return who[i];
            }
        }
        return null;
    }

    static String mode(Path f) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS));
    }
}
