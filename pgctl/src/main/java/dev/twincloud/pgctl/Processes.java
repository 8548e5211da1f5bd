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

    /**
     * Sends the signal {@code name} (STOP, CONT, TERM, ...) to {@code pid} with {@code kill}, as the JVM's user;
     * throws when it could not (no such process, not permitted, kill missing or hanging for 10 s).
     */
    public static void signal(String name, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new PgException("kill -s " + name + " " + pid + " did not return in 10 s");
            }
            if (kill.exitValue() != 0) {
                throw new PgException("kill -s " + name + " " + pid + " exited " + kill.exitValue() + ": "
                        + new String(kill.getInputStream().readAllBytes()).trim());
            }
        } catch (IOException e) {
            throw new PgException("kill -s " + name + " " + pid + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgException("interrupted while signalling " + pid, e);
        }
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
        Path dir = real(dataDir);
        List<Long> pids = new ArrayList<>();
        int unreadable = 0;
        try {
            for (Running r : running(List.of("postgres"))) {
                Path p = r.proc();
                long pid = r.pid();
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

    /** The PostgreSQL tools that write a whole data directory, run by an agent (and outliving it if it dies). */
    static final List<String> DATA_DIRECTORY_TOOLS = List.of("pg_rewind", "pg_basebackup");

    /**
     * Running {@link #DATA_DIRECTORY_TOOLS} whose command line names {@code dataDir} as their target
     * ({@code -D dir}, {@code -Ddir}, {@code --pgdata=dir}, {@code --pgdata dir}; relative paths from
     * the process's working directory). Empty without /proc.
     */
    public static List<Long> toolsWritingTo(Path dataDir) {
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(proc)) {
            return List.of();
        }
        Path dir = real(dataDir);
        List<Long> pids = new ArrayList<>();
        try {
            for (Running r : running(DATA_DIRECTORY_TOOLS)) {
                Path p = r.proc();
                long pid = r.pid();
                try {
                    Path cwd = Files.readSymbolicLink(p.resolve("cwd"));
                    List<String> args = List.of(new String(Files.readAllBytes(p.resolve("cmdline")),
                            java.nio.charset.StandardCharsets.UTF_8).split("\0"));
                    if (targets(args, cwd).contains(dir)) {
                        pids.add(pid);
                    }
                } catch (IOException e) {
                    // gone meanwhile, or another user's (then not one of ours either: the agent runs them)
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return List.copyOf(pids);
    }

    /**
     * SIGKILLs the {@link #toolsWritingTo} processes of {@code dataDir} and everything they started
     * (pg_rewind's single-user postgres), and waits until they have exited. Returns how many tools.
     */
    public static int killToolsWritingTo(Path dataDir) {
        List<ProcessHandle> tools = toolsWritingTo(dataDir).stream().flatMap(pid -> ProcessHandle.of(pid).stream()).toList();
        List<ProcessHandle> all = new ArrayList<>();
        for (ProcessHandle t : tools) {
            all.add(t);
            all.addAll(t.descendants().toList());
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            Poll.until(java.time.Duration.ofSeconds(10), () -> !running(h.pid()));
        }
        return tools.size();
    }

    private static List<Path> targets(List<String> args, Path cwd) {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String value = null;
            if ((a.equals("-D") || a.equals("--pgdata")) && i + 1 < args.size()) {
                value = args.get(i + 1);
            } else if (a.startsWith("--pgdata=")) {
                value = a.substring("--pgdata=".length());
            } else if (a.startsWith("-D") && a.length() > 2) {
                value = a.substring(2);
            }
            if (value != null && !value.isEmpty()) {
                out.add(real(cwd.resolve(value)));
            }
        }
        return out;
    }

    /** A running (not zombie) process found in /proc. */
    private record Running(long pid, Path proc) {
    }

    /** The running processes whose command name is one of {@code names}. */
    private static List<Running> running(List<String> names) throws IOException {
        List<Running> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                try {
                    if (names.contains(Files.readString(p.resolve("comm")).strip()) && running(pid)) {
                        out.add(new Running(pid, p));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return out;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
