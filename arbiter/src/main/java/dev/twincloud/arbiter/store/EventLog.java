package dev.twincloud.arbiter.store;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.Event;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The arbiter's history: every {@link Event}, one JSON object per line in {@code state-dir/events.jsonl}
 * (appended and forced to disk), and the last {@code capacity} in memory for {@code GET /v1/events}.
 * On start the in-memory ring is filled from the file's tail; a torn last line (a crash mid-append)
 * is skipped with a warning.
 */
public final class EventLog implements AutoCloseable {

    public static final String EVENTS_FILE = "events.jsonl";
    private static final Logger log = LoggerFactory.getLogger(EventLog.class);

    private final Path file;
    private final int capacity;
    private final JsonMapper json = JsonMapper.builder().build();
    private final ArrayDeque<Event> ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final FileChannel channel;

    public EventLog(Path dir, int capacity) {
        this.file = dir.toAbsolutePath().normalize().resolve(EVENTS_FILE);
        this.capacity = capacity;
        this.ring = new ArrayDeque<>(capacity);
        try {
            Files.createDirectories(file.getParent());
            boolean created = Files.notExists(file);
            if (!created) {
                readTail();
            }
            // Not APPEND (which excludes READ): one writer, under the lock, always at the end.
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            channel.position(channel.size());
            endTornLine();
            if (created) {
                FileStateStore.forceDirectory(file.getParent());
            }
        } catch (IOException e) {
            throw new StartupRefused("cannot open the event history " + file + ": " + e,
                    "Check that the state directory is writable by this user and the disk is not full.", e);
        }
    }

    /** After a crash mid-append the file may not end with a newline: end that line, so the next event starts its own. */
    private void endTornLine() throws IOException {
        long size = channel.size();
        if (size == 0) {
            return;
        }
        ByteBuffer last = ByteBuffer.allocate(1);
        channel.read(last, size - 1);
        if (last.get(0) != '\n') {
            channel.write(ByteBuffer.wrap(new byte[] {'\n'})); // at the end: the position is there
            channel.force(true);
        }
    }

    private void readTail() throws IOException {
        int skipped = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    remember(json.readValue(line, Event.class));
                } catch (RuntimeException e) {
                    skipped++;
                }
            }
        }
        if (skipped > 0) {
            log.warn("skipped {} unreadable line(s) in {} (a crash while appending leaves a torn last line)", skipped, file);
        }
    }

    private void remember(Event e) {
        if (ring.size() == capacity) {
            ring.removeFirst();
        }
        ring.addLast(e);
    }

    /** Appends {@code e} to the file (forced to disk) and to the ring. */
    public void append(Event e) {
        lock.lock();
        try {
            remember(e);
            byte[] line = (json.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(true);
        } catch (IOException ex) {
            throw new UncheckedIOException("could not append to " + file + ": " + ex.getMessage(), ex);
        } finally {
            lock.unlock();
        }
    }

    /** The last {@code limit} events, oldest first. */
    public List<Event> last(int limit) {
        lock.lock();
        try {
            List<Event> all = new ArrayList<>(ring);
            return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
        } finally {
            lock.unlock();
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("could not close {}: {}", file, e.toString());
        } finally {
            lock.unlock();
        }
    }
}
