package dev.twincloud.pgctl;

import java.nio.file.Path;

/** A live postmaster already owns the data directory (its postmaster.pid names a running process). */
public class DataDirInUseException extends PgException {
    private final Path dataDir;
    private final long pid;

    public DataDirInUseException(Path dataDir, long pid) {
        super("Data directory " + dataDir + " is in use by a running postmaster (pid " + pid
                + ", from postmaster.pid). Stop that server first, or use another data directory.");
        this.dataDir = dataDir;
        this.pid = pid;
    }

    public Path dataDir() {
        return dataDir;
    }

    public long pid() {
        return pid;
    }
}
