package dev.twincloud.pgctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The lines of postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
record PostmasterPid(long pid, int port, String status) {

    static Optional<PostmasterPid> read(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).strip());
            int port = lines.size() > 3 && !lines.get(3).isBlank() ? Integer.parseInt(lines.get(3).strip()) : -1;
            String status = lines.size() > 7 ? lines.get(7).strip() : "";
            return Optional.of(new PostmasterPid(pid, port, status));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // being written or removed right now; the caller polls again
        }
    }

    /** The process is alive and is a postgres (guards against a stale file whose pid was reused). */
    boolean alive() {
        return Processes.running(pid) && ProcessHandle.of(pid)
                .filter(h -> h.info().command().map(c -> c.contains("postgres")).orElse(true))
                .isPresent();
    }

    /** The live postmaster of a data dir, if any. */
    static Optional<PostmasterPid> live(Path dataDir) {
        return read(dataDir).filter(PostmasterPid::alive);
    }
}
