package dev.twincloud.lab.logs;

import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A lab's logs directory read as one timeline (docs/logging.md, "lab logs"): every {@code *.log} and {@code *.json}
 * file, parsed by {@link LogParser}, merged in time order (lines of one file keep their order when times tie).
 * {@link #poll} reads what was appended since the last read, for {@code --follow}; a file that shrank (a fresh lab) is
 * read again from its start.
 */
public final class LabLogs {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Comparator<LogLine> BY_TIME = Comparator.comparing(LogLine::time);
    private static final int CHUNK = 8 << 20;
    private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter
            .ofPattern("yyyy-MM-dd HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

    private final Path dir;
    private final Map<Path, Long> offsets = new HashMap<>();
    private final Map<Path, LogLine> lastLine = new HashMap<>();

    public LabLogs(Path dir) {
        this.dir = dir;
    }

    /** Everything written so far (and remembered as read), in time order, that {@code filter} keeps. */
    public List<LogLine> read(Predicate<LogLine> filter) {
        return poll(filter);
    }

    /** What was appended to any file since the last read, in time order. */
    public List<LogLine> poll(Predicate<LogLine> filter) {
        List<LogLine> out = new ArrayList<>();
        for (Path file : files()) {
            readNew(file, filter, out);
        }
        out.sort(BY_TIME); // stable: one file's lines keep their order
        return out;
    }

    private List<Path> files() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return Files.isRegularFile(p) && (n.endsWith(".log") || n.endsWith(".json"));
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /**
     * The whole lines appended to {@code file} since the last read (a line being written is read next time), parsed,
     * those {@code filter} keeps added to {@code out}; read in chunks, so a long drill's logs are not held in memory.
     */
    private void readNew(Path file, Predicate<LogLine> filter, List<LogLine> out) {
        long position = offsets.getOrDefault(file, 0L);
        LogParser parser = new LogParser(LogParser.componentOf(file.getFileName().toString()));
        LogLine previous = lastLine.get(file);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            if (length < position) {
                position = 0; // truncated or replaced (a fresh lab): read it again
                previous = null;
            }
            byte[] buf = new byte[CHUNK];
            while (position < length) {
                int n = (int) Math.min(buf.length, length - position);
                f.seek(position);
                f.readFully(buf, 0, n);
                int complete = n;
                while (complete > 0 && buf[complete - 1] != '\n') {
                    complete--;
                }
                if (complete == 0) {
                    if (n < buf.length) {
                        break; // only a line being written: next time
                    }
                    complete = n; // one line longer than a chunk: taken in pieces
                }
                for (String line : new String(buf, 0, complete, StandardCharsets.UTF_8).split("\n")) {
                    Optional<LogLine> l = parser.parse(line, previous);
                    if (l.isPresent()) {
                        previous = l.get();
                        if (filter.test(l.get())) {
                            out.add(l.get());
                        }
                    }
                }
                position += complete;
            }
        } catch (IOException e) {
            return; // gone meanwhile, or not readable: nothing from it this time
        } finally {
            offsets.put(file, position);
            if (previous != null) {
                lastLine.put(file, previous);
            }
        }
    }

    /**
     * One entry as {@code lab logs} prints it: time (UTC), level, component, request id, message; the further lines of
     * a multi-line message (a statement, a stack trace) indented under it.
     */
    public static String format(LogLine l) {
        return TIME.format(l.time()) + " " + String.format("%-5s", l.level()) + " " + String.format("%-13s", l.component())
                + (l.requestId() == null ? "" : " [" + l.requestId() + "]") + " " + l.message().replace("\n", "\n    ");
    }

    /**
     * When the arbiter last recorded an event of {@code kind}: from its history ({@code events.jsonl} in its state
     * directory), else from its log lines (the {@code event} field of the arbiter's JSON lines).
     */
    public static Optional<Instant> lastEvent(Path arbiterStateDir, Path logsDir, EventKind kind) {
        Path events = arbiterStateDir.resolve("events.jsonl");
        Instant last = null;
        if (Files.isRegularFile(events)) {
            try (Stream<String> lines = Files.lines(events)) {
                for (String line : (Iterable<String>) lines::iterator) {
                    try {
                        Event e = JSON.readValue(line, Event.class);
                        if (e.kind() == kind && (last == null || !e.at().isBefore(last))) {
                            last = e.at();
                        }
                    } catch (JacksonException | IllegalArgumentException tornOrUnknown) {
                        // a torn last line, or a kind this lab does not know: skipped as the arbiter skips it
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + events, e);
            }
            if (last != null) {
                return Optional.of(last);
            }
        }
        Path arbiterLog = logsDir.resolve("arbiter.log");
        if (!Files.isRegularFile(arbiterLog)) {
            return Optional.empty();
        }
        LogParser parser = new LogParser("arbiter");
        try (Stream<String> lines = Files.lines(arbiterLog)) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.contains("\"event\":\"" + kind.name() + "\"")) {
                    Optional<LogLine> l = parser.parse(line, null);
                    if (l.isPresent()) {
                        last = l.get().time();
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(last);
    }
}
