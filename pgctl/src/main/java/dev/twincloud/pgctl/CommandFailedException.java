package dev.twincloud.pgctl;

import java.util.List;

/** An external PostgreSQL tool (initdb, pg_ctl, pg_basebackup, pg_rewind) exited non-zero or timed out. */
public class CommandFailedException extends PgException {
    private final List<String> command;
    private final int exitCode;
    private final String output;

    public CommandFailedException(List<String> command, int exitCode, String output, String what) {
        super(what + ": `" + String.join(" ", command) + "` "
                + (exitCode < 0 ? "timed out" : "exited with " + exitCode)
                + (output.isBlank() ? "" : "\n--- output ---\n" + output.strip()));
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.output = output;
    }

    public List<String> command() {
        return command;
    }

    /** Exit code, or -1 when the command timed out and was killed. */
    public int exitCode() {
        return exitCode;
    }

    public String output() {
        return output;
    }
}
