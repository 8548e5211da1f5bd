package dev.twincloud.pgctl;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a data directory's server is doing now.
 *
 * @param running    a live postmaster owns the data dir
 * @param pid        postmaster pid from postmaster.pid (when running)
 * @param port       port the server listens on (from postmaster.pid when running, else the configured one)
 * @param pmStatus   postmaster.pid status line: "starting", "ready", "standby", "stopping" (when running)
 * @param inRecovery pg_is_in_recovery(), when a connection succeeded
 */
public record ServerStatus(boolean running, OptionalLong pid, int port, Optional<String> pmStatus,
                           Optional<Boolean> inRecovery) {
}
