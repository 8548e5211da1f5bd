package dev.twincloud.pgctl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs one external program to completion with a time limit, as the server OS user. */
final class Commands {
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Commands() {
    }

    /** Runs and throws {@link CommandFailedException} unless it exits 0. */
    static String run(OsUser user, List<String> command, Duration timeout, String what) {
        return run(user, command, Map.of(), timeout, what);
    }

    static String run(OsUser user, List<String> command, Map<String, String> env, Duration timeout, String what) {
        Result r = exec(user, command, env, timeout);
        if (!r.ok()) {
            throw new CommandFailedException(user.wrap(command), r.exitCode(), r.output(), what);
        }
        return r.output();
    }

    /**
     * Output goes to a temp file, not a pipe: pg_ctl start leaves a daemon behind that could inherit a
     * pipe and keep us reading forever.
     */
    static Result exec(OsUser user, List<String> command, Map<String, String> env, Duration timeout) {
        List<String> full = user.wrap(command);
        Path out = null;
        Process p = null;
        try {
            out = Files.createTempFile("pgctl-cmd", ".out");
            ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    // The server user may not be able to enter the JVM's working directory (e.g. /root/...).
                    .directory(new java.io.File("/"));
            pb.environment().put("LC_ALL", "C");
            pb.environment().putAll(env);
            p = pb.start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            return new Result(done ? p.exitValue() : -1, output);
        } catch (IOException e) {
            throw new PgException("Cannot run `" + String.join(" ", full) + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            // Not left running behind us (e.g. a pg_rewind while the agent shuts down).
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            Thread.currentThread().interrupt();
            throw new PgException("Interrupted while running `" + String.join(" ", full) + "`", e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }
}
