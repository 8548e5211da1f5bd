package dev.twincloud.pgctl;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Process liveness that does not count zombies: a stopped postmaster may wait a while for its reaper. */
public final class Processes {
    private Processes() {
    }

    /** True while {@code pid} exists and has not exited (a zombie has exited). */
    public static boolean running(long pid) {
        if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
            return false;
        }
        try {
            // /proc/<pid>/stat: "pid (comm) S ..." — the state follows the last ')' (comm may contain spaces)
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); // no /proc: trust the JDK
        }
    }

    /**
     * The postgres processes (command name {@code postgres}) running in {@code dataDir}: a postmaster
     * and every child of it change into the data directory, so this finds them all, including
     * backends orphaned by a postmaster that was killed (which may still commit until they notice).
     *
     * @param pids       their pids
     * @param unreadable postgres processes whose working directory could not be read (another OS
     *                   user's): they might belong to this data directory
     * @param scanned    false when there is no /proc to scan (then nothing can be said)
     */
    public record InDirectory(List<Long> pids, int unreadable, boolean scanned) {
        /** Provably none: /proc was scanned, no postgres process runs there, none was unreadable. */
        public boolean provablyNone() {
            return scanned && pids.isEmpty() && unreadable == 0;
        }
    }

    public static InDirectory postgresIn(Path dataDir) {
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(proc)) {
            return new InDirectory(List.of(), 0, false);
        }
        Path dir;
        try {
            dir = dataDir.toRealPath();
        } catch (IOException e) {
            dir = dataDir.toAbsolutePath().normalize();
        }
        List<Long> pids = new ArrayList<>();
        int unreadable = 0;
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                String comm;
                try {
                    comm = Files.readString(p.resolve("comm")).strip();
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                if (!comm.equals("postgres") || !running(pid)) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).equals(dir)) {
                        pids.add(pid);
                    }
                } catch (AccessDeniedException e) {
                    unreadable++;
                } catch (IOException e) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            return new InDirectory(List.of(), 0, false);
        }
        return new InDirectory(List.copyOf(pids), unreadable, true);
    }
}
