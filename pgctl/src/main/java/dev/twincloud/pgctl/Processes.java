package dev.twincloud.pgctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
