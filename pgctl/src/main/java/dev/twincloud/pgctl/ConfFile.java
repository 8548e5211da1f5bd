package dev.twincloud.pgctl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and merges simple {@code key = 'value'} files (postgresql.auto.conf, twincloud.conf). */
final class ConfFile {
    private ConfFile() {
    }

    static Map<String, String> read(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                String l = line.strip();
                int eq = l.indexOf('=');
                if (l.isEmpty() || l.startsWith("#") || eq < 0) {
                    continue;
                }
                out.put(l.substring(0, eq).strip(), unquote(l.substring(eq + 1).strip()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Sets (or, for a null value, removes) keys, keeping all others. */
    static void merge(Path file, Map<String, String> changes, OsUser owner) {
        Map<String, String> all = read(file);
        changes.forEach((k, v) -> {
            if (v == null) {
                all.remove(k);
            } else {
                all.put(k, v);
            }
        });
        write(file, all, owner);
    }

    static void write(Path file, Map<String, String> settings, OsUser owner) {
        List<String> lines = new ArrayList<>();
        lines.add("# Written by twincloud pgctl.");
        settings.forEach((k, v) -> lines.add(k + " = " + quote(v)));
        try {
            Files.write(file, lines);
            owner.prepareOwnedFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
            return v.substring(1, v.length() - 1).replace("''", "'").replace("\\\\", "\\");
        }
        int hash = v.indexOf('#');
        return (hash >= 0 ? v.substring(0, hash) : v).strip();
    }
}
