package dev.twincloud.arbiter.store;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The arbiter's {@link DurableState} in {@code state-dir/state.json} (docs/design.md rule 3: stored
 * before it is acted on), with the eligibility barrier and each site's heard place (docs/design.md
 * rule 7 across restarts). A file written before those two fields loads: the barrier is then
 * {@link dev.twincloud.core.decide.ReportOrder#UNKNOWN} and nothing is heard (see DurableState).
 * A save writes a temporary file, forces it to disk, renames it over state.json atomically and
 * forces the directory, so after a crash the file holds either the old or the new state, whole. A
 * state file that cannot be read or does not fit the configuration stops the start-up: silently
 * starting over at epoch 1 could hand out a second writer.
 *
 * <p>The directory is locked ({@code arbiter.lock}) while the store is open: two arbiters on one
 * state directory would each believe they own the epoch. With leader election the replicas share
 * the directory on a network volume and the Kubernetes Lease is the lock ({@link #openShared}): file
 * locks over NFS are not reliable, and a dead node's lock can outlive it. A shared store then checks
 * before each save that state.json is still what it last read or wrote, and refuses to save over a
 * state another replica stored.
 */
public final class StateStore implements AutoCloseable {

    public static final String STATE_FILE = "state.json";
    static final String TEMP_FILE = "state.json.tmp";
    static final String LOCK_FILE = "arbiter.lock";
    static final int FORMAT = 1;

    private static final Logger log = LoggerFactory.getLogger(StateStore.class);

    /** The file's shape: a format number for later migrations, when it was written, the state. */
    record StoredState(int format, Instant savedAt, DurableState state) {
    }

    private final Path dir;
    private final Path file;
    private final ArbiterConfig config;
    private final JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Shared store: the bytes of state.json as last read or written here (null: none yet). */
    private byte[] lastSeen;

    private StateStore(Path dir, ArbiterConfig config, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.file = dir.resolve(STATE_FILE);
        this.config = config;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating) {@code dir} without its file lock, for the elected replica of several that share
     * the directory: the election is the lock. Each save first checks that nobody else changed the file.
     */
    public static StateStore openShared(Path dir, ArbiterConfig config) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new StartupRefused("cannot open the state directory " + abs + ": " + e,
                    "Check that the shared volume is mounted and writable by this user.", e);
        }
        return new StateStore(abs, config, null, null);
    }

    private boolean shared() {
        return lock == null;
    }

    /** Opens (creating) {@code dir} and takes its lock; refuses to start when another arbiter holds it. */
    public static StateStore open(Path dir, ArbiterConfig config) {
        Path abs = dir.toAbsolutePath().normalize();
        FileChannel channel = null;
        try {
            Files.createDirectories(abs);
            channel = FileChannel.open(abs.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new OverlappingFileLockException();
            }
            return new StateStore(abs, config, channel, lock);
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new StartupRefused("another arbiter is using the state directory " + abs + " (" + LOCK_FILE + " is locked)",
                    "Stop the other arbiter, or give this one its own twincloud.arbiter.state-dir.");
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StartupRefused("cannot open the state directory " + abs + ": " + e,
                    "Check that the directory exists or can be created, and that it is writable by this user.", e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path file() {
        return file;
    }

    /**
     * The stored state; when there is none yet, {@code initial} stored first. Refuses to start on a
     * state file that cannot be read, parsed or trusted.
     */
    public DurableState loadOrCreate(Supplier<DurableState> initial) {
        try {
            Files.deleteIfExists(dir.resolve(TEMP_FILE)); // a save interrupted before its rename: never the state
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                DurableState fresh = initial.get();
                save(fresh);
                log.info("no state in {}: created epoch {} with writer {} ({})", file, fresh.epoch(), fresh.writer(), fresh.mode());
                return fresh;
            }
            DurableState loaded = parse(bytes);
            lastSeen = bytes;
            log.info("loaded state from {}: epoch {}, writer {}, mode {}", file, loaded.epoch(), loaded.writer(), loaded.mode());
            return loaded;
        } catch (IOException | UncheckedIOException e) {
            throw new StartupRefused("cannot read the state file " + file + ": " + e.getMessage(),
                    "Check the file's permissions and the disk; the arbiter never starts over without its stored epoch.", e);
        }
    }

    private DurableState parse(byte[] bytes) {
        StoredState stored;
        try {
            stored = json.readValue(bytes, StoredState.class);
        } catch (JacksonException e) {
            throw corrupt("it is not valid state JSON (" + e.getOriginalMessage() + ")", e);
        } catch (RuntimeException e) {
            throw corrupt("it holds invalid values (" + e.getMessage() + ")", e);
        }
        if (stored == null || stored.state() == null) {
            throw corrupt("it holds no state", null);
        }
        if (stored.format() != FORMAT) {
            throw corrupt("its format is " + stored.format() + ", this arbiter reads format " + FORMAT, null);
        }
        List<String> problems = new ArrayList<>();
        DurableState s = stored.state();
        if (s.epoch() < 1) {
            problems.add("epoch " + s.epoch() + " < 1");
        }
        if (s.writer() == null || !config.knows(s.writer())) {
            problems.add("writer '" + s.writer() + "' is not one of the configured sites " + config.sites());
        }
        if (s.mode() == null) {
            problems.add("mode is missing");
        }
        if (s.switchover() == null) {
            problems.add("switchover is missing");
        } else {
            s.switchover().ifPresent(sw -> {
                if (sw.from() == null || sw.to() == null || sw.startedAt() == null
                        || !config.knows(sw.from()) || !config.knows(sw.to())) {
                    problems.add("the switchover in progress names unknown sites or no start: " + sw);
                }
            });
        }
        if (s.leaseEpoch() < 0 || s.leaseEpoch() > s.epoch()) {
            problems.add("lease epoch " + s.leaseEpoch() + " is outside 0.." + s.epoch());
        }
        List<String> unknownSites = s.heard().keySet().stream().filter(site -> !config.knows(site))
                .map(String::valueOf).sorted().toList();
        if (!unknownSites.isEmpty()) {
            problems.add("heard places name sites that are not configured: " + unknownSites);
        }
        if (!problems.isEmpty()) {
            throw corrupt("it does not fit this arbiter: " + String.join("; ", problems), null);
        }
        return s;
    }

    private StartupRefused corrupt(String why, Throwable cause) {
        return new StartupRefused("the state file " + file + " is corrupt or unusable: " + why,
                "Restore state.json from a backup or repair it by hand (keep the epoch at least as high as any "
                        + "site has seen). Deleting it starts over at epoch 1, which is only safe when both sites are "
                        + "re-initialised too.", cause);
    }

    /**
     * Stores {@code state} durably; returns only once it is on disk. Throws {@link UncheckedIOException}
     * when it could not be stored, in which case the caller must not act on {@code state}.
     */
    public void save(DurableState state) {
        Path tmp = dir.resolve(TEMP_FILE);
        try {
            if (shared()) {
                checkUnchangedElsewhere();
            }
            byte[] bytes = json.writeValueAsBytes(new StoredState(FORMAT, Instant.now(), state));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(dir);
            lastSeen = bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the arbiter state in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Shared store: state.json must still be what this replica last read or wrote. */
    private void checkUnchangedElsewhere() throws IOException {
        byte[] now;
        try {
            now = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            now = null;
        }
        if (!java.util.Arrays.equals(now, lastSeen)) {
            throw new IOException("state.json was changed by another arbiter replica since this one loaded it; "
                    + "not overwriting it (this replica is no longer the elected one?)");
        }
    }

    /** Makes a rename or a new file in {@code dir} durable (fsync of the directory; a no-op where unsupported). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            if (System.getProperty("os.name", "").toLowerCase().contains("win")) {
                return; // Windows cannot open a directory as a file; NTFS renames are journaled
            }
            throw e;
        }
    }

    @Override
    public void close() {
        if (shared()) {
            return;
        }
        try {
            lock.release();
        } catch (IOException e) {
            log.warn("could not release {}: {}", dir.resolve(LOCK_FILE), e.toString());
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }
}
