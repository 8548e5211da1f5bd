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
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * state another replica stored ({@link StateChangedElsewhere}); the check and the rename run under a
 * lock on {@code state.save-lock}, so of two replicas saving at once one loses (the lock narrows the
 * race; the election stays the fence, as NFS locks are only as good as the server's).
 */
public final class FileStateStore implements StateStore {

    public static final String STATE_FILE = "state.json";
    static final String TEMP_FILE = "state.json.tmp";
    static final String LOCK_FILE = "arbiter.lock";
    /** Shared store: locked around a save's check and rename, so that of two concurrent saves one loses. */
    static final String SAVE_LOCK_FILE = "state.save-lock";
    private static final String REPAIR = "Restore state.json from a backup or repair it by hand (keep the epoch at "
            + "least as high as any site has seen). Deleting it starts over at epoch 1, which is only safe when both "
            + "sites are re-initialised too.";

    private static final Logger log = LoggerFactory.getLogger(FileStateStore.class);
    /** File locks are held per process: replicas in one JVM (tests) serialize their saves here first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> SAVE_LOCKS = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path file;
    private final StateCodec codec;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Shared store: the bytes of state.json as last read or written here (null: none yet). */
    private byte[] lastSeen;

    private FileStateStore(Path dir, ArbiterConfig config, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.file = dir.resolve(STATE_FILE);
        this.codec = new StateCodec(config);
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating) {@code dir} without its file lock, for the elected replica of several that share
     * the directory: the election is the lock. Each save first checks that nobody else changed the file.
     */
    public static FileStateStore openShared(Path dir, ArbiterConfig config) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new StartupRefused("cannot open the state directory " + abs + ": " + e,
                    "Check that the shared volume is mounted and writable by this user.", e);
        }
        return new FileStateStore(abs, config, null, null);
    }

    private boolean shared() {
        return lock == null;
    }

    /** Opens (creating) {@code dir} and takes its lock; refuses to start when another arbiter holds it. */
    public static FileStateStore open(Path dir, ArbiterConfig config) {
        Path abs = dir.toAbsolutePath().normalize();
        FileChannel channel = null;
        try {
            Files.createDirectories(abs);
            channel = FileChannel.open(abs.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new OverlappingFileLockException();
            }
            return new FileStateStore(abs, config, channel, lock);
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

    @Override
    public String describe() {
        return "the state file " + file;
    }

    /**
     * The stored state; when there is none yet, {@code initial} stored first. Refuses to start on a
     * state file that cannot be read, parsed or trusted.
     */
    @Override
    public DurableState loadOrCreate(Supplier<DurableState> initial) {
        try {
            if (!shared()) { // (a shared directory's temp file may be another replica's save in progress)
                Files.deleteIfExists(dir.resolve(TEMP_FILE)); // a save interrupted before its rename: never the state
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                DurableState fresh = initial.get();
                try {
                    save(fresh);
                } catch (StateChangedElsewhere raced) {
                    log.info("another replica created {} at the same moment: loading its state", file);
                    return loadOrCreate(initial);
                }
                log.info("no state in {}: created epoch {} with writer {} ({})", file, fresh.epoch(), fresh.writer(), fresh.mode());
                return fresh;
            }
            DurableState loaded = codec.decode(bytes, describe(), REPAIR);
            lastSeen = bytes;
            log.info("loaded state from {}: epoch {}, writer {}, mode {}", file, loaded.epoch(), loaded.writer(), loaded.mode());
            return loaded;
        } catch (IOException | UncheckedIOException e) {
            throw new StartupRefused("cannot read the state file " + file + ": " + e.getMessage(),
                    "Check the file's permissions and the disk; the arbiter never starts over without its stored epoch.", e);
        }
    }

    /**
     * Stores {@code state} durably; returns only once it is on disk. Throws {@link UncheckedIOException}
     * when it could not be stored, in which case the caller must not act on {@code state}. A shared
     * store first checks, under a lock on {@code state.save-lock}, that state.json is still what it last
     * read or wrote ({@link StateChangedElsewhere} if not).
     */
    @Override
    public void save(DurableState state) {
        if (!shared()) {
            write(state);
            return;
        }
        ReentrantLock inProcess = SAVE_LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
        inProcess.lock();
        try (FileChannel ch = FileChannel.open(dir.resolve(SAVE_LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
            checkUnchangedElsewhere();
            write(state);
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the arbiter state in " + file + ": " + e.getMessage(), e);
        } finally {
            inProcess.unlock();
        }
    }

    private void write(DurableState state) {
        Path tmp = dir.resolve(TEMP_FILE);
        try {
            byte[] bytes = codec.encode(state);
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
        if (!Arrays.equals(now, lastSeen)) {
            throw new StateChangedElsewhere(describe());
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
