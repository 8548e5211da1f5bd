package dev.twincloud.lab.backup;

import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.pgctl.ArchiveGeneration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * The lab's calls to Debian's barman-cloud programs (docs/backups.md): the archive and restore
 * commands PostgreSQL runs, base backups, listing, and fetching a base backup. Every call names one
 * store; each site only ever writes to its own (docs/adr/0015).
 */
public final class BarmanCloud {
    /** s3rver's fixed key (it checks signatures); the local stores hold nothing secret. */
    static final Map<String, String> CREDENTIALS = Map.of("AWS_ACCESS_KEY_ID", "S3RVER", "AWS_SECRET_ACCESS_KEY", "S3RVER",
            "AWS_DEFAULT_REGION", "us-east-1");
    private static final Duration BACKUP_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration LIST_TIMEOUT = Duration.ofMinutes(5);
    /**
     * PostgreSQL's MAXPGPATH (1024, the terminating zero included) less what expanding %p and %f (once each) adds for
     * the longest names, a backup history file's (40 characters, its path 47), with room to spare.
     */
    static final int MAX_ARCHIVE_COMMAND = 1024 - 120;

    private final BackupTools tools;

    public BarmanCloud(BackupTools tools) {
        this.tools = tools;
    }

    public BackupTools tools() {
        return tools;
    }

    /**
     * PostgreSQL's {@code archive_command} for a site archiving to {@code store}: gzip-compressed WAL
     * (a segment closed early by {@code archive_timeout} is mostly zeros), credentials inline (the
     * server's environment is not ours to set), behind a guard against overwriting.
     *
     * <p>barman-cloud-wal-archive 3.4 overwrites an object of the same name without a word. PostgreSQL
     * asks of an archive command that it refuse to overwrite an existing file, and succeed when the file
     * there is identical (a segment archived again after a crash or a re-join). So the command first
     * fetches the object barman would write (barman's layout: {@code <server>/wals/<timeline+log>/<file>.gz},
     * a timeline history file directly under {@code wals/}) with curl: found (200) and identical once
     * unzipped ({@code cmp}) — exit 0 without writing; found and an earlier state of the same file (the same
     * bytes where it has any, zeros after) — archive, replacing it; found and different — a line on stderr
     * (the server log) and exit 1, so PostgreSQL keeps the segment and retries (and {@code lab backups} shows
     * the failures); not there (404) — archive; anything else (store unreachable) — exit 1 without writing.
     *
     * <p>The check was barman-cloud-wal-restore until issue 12's review: a second Python process (boto3's
     * import alone is about 0.5 s of CPU) for every file each site archives; curl costs a few milliseconds.
     * The lab's stores answer anonymous reads (s3rver), so curl signs nothing; a real bucket would need
     * {@code --aws-sigv4}, and production archives through the Barman Cloud plugin, not this command.
     */
    public String archiveCommand(ObjectStore store) {
        // The server name of the data directory's archive generation (PostgreSQL runs the command in it):
        // <site>, or <site>-<generation> after a re-clone (ArchiveGeneration), read at each call.
        // %f and %p once each, into variables: PostgreSQL expands them in place and cuts the result at MAXPGPATH without a
        // word; a backup history file (000000010000000000000002.00000028.backup) is 40 characters, its path 47.
        String command = "f=%f; p=%p; export " + env() + "; g=$(grep -xE '" + ArchiveGeneration.NAME.pattern().replace("\\d", "[0-9]")
                + "' " + ArchiveGeneration.FILE + " 2>/dev/null); s=" + store.site().name() + "; [ -z \"$g\" ] || s=$s-$g; "
                // no "${": the agent gets this through Spring Boot, which takes ${...} for a placeholder ("gcp${g:+-$g}" became
                // "gcp+-$g", and every segment the agent's PostgreSQL archived went to server "gcp+-": RecoverFromOneStoreLabTest)
                + "case $f in *.history) d=;; *) d=$(printf %.16s $f)/;; esac; t=$(mktemp) || exit 1; trap 'rm -f \"$t\"' EXIT; "
                + "e(){ echo \"twincloud archive guard: $*\" >&2; exit 1; }; z(){ gzip -dc \"$t\" 2>/dev/null; }; "
                // curl's %{http_code} is safe here: PostgreSQL expands %p, %f and %% and copies any other % as it is;
                // -m60 bounds it as barman-cloud-wal-restore's 60 s read timeout did: a hung store must not hold the
                // archiver (and with it a clean shutdown) for ever
                + "r=$(" + quote(tools.curl().toString()) + " -m60 -so\"$t\" -w%{http_code} " + store.endpoint() + "/" + store.bucket()
                + "/" + ObjectStore.PREFIX + "/$s/wals/$d$f.gz); "
                // found: the same file is done; an earlier state of it (the same bytes where it has any, zeros after: the
                // segment a clone or pg_rewind copied while it was being written) is replaced; anything else is refused
                + "if [ \"$r\" = 200 ]; then z|cmp -s - $p && exit 0; z|cmp -l - $p 2>/dev/null|awk '$2!=0{exit 1}' "
                + "|| e refusing to overwrite $f in store " + store.name() + ": it holds a different file of that name; "
                + "elif [ \"$r\" != 404 ]; then e cannot tell whether store " + store.name() + " holds $f \"(HTTP $r)\"; fi; "
                + quote(tools.barman("barman-cloud-wal-archive")) + " --gzip --endpoint-url " + store.endpoint() + " "
                + store.destination() + " $s $p";
        // PostgreSQL 15 cuts an archive_command longer than MAXPGPATH (1024 bytes, after %p and %f are
        // expanded) without a word; the cut command then fails on every file (RecoverFromOneStoreLabTest found a
        // command that fitted for segments and lost its last argument for a backup history file).
        if (command.length() > MAX_ARCHIVE_COMMAND) {
            throw new BackupException("the archive command for store " + store.name() + " would be " + command.length()
                    + " characters, more than PostgreSQL keeps (" + MAX_ARCHIVE_COMMAND + " before expanding %p and %f): "
                    + "put barman-cloud in a shorter directory (TWINCLOUD_BARMAN_CLOUD_BINDIR)");
        }
        return command;
    }

    /** PostgreSQL's {@code restore_command} reading {@code store}'s archive (its generation: {@link ObjectStore#server}). */
    public String restoreCommand(ObjectStore store) {
        return env() + " " + quote(tools.barman("barman-cloud-wal-restore")) + " --endpoint-url " + store.endpoint() + " "
                + store.destination() + " " + store.server() + " %f %p";
    }

    /** The archive settings of a site's PostgreSQL: {@code archive_mode=always}, so a standby archives what it receives. */
    public Map<String, String> archiveSettings(ObjectStore store, Duration archiveTimeout) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("archive_mode", "always");
        s.put("archive_command", archiveCommand(store));
        s.put("archive_timeout", archiveTimeout.toSeconds() + "s");
        return s;
    }

    /**
     * A base backup of the PostgreSQL on 127.0.0.1:{@code pgPort} (superuser {@code postgres}) into
     * {@code store}; it must run where the data directory is readable. Returns the new backup.
     */
    public BaseBackup backup(ObjectStore store, int pgPort, ZoneId zone) {
        List<String> before = list(store, zone).stream().map(BaseBackup::id).toList();
        run(store, "a base backup", BACKUP_TIMEOUT, tools.barman("barman-cloud-backup"), "--endpoint-url", store.endpoint(),
                "-h", "127.0.0.1", "-p", Integer.toString(pgPort), "-U", "postgres", "-d", "postgres",
                store.destination(), store.server());
        return list(store, zone).stream().filter(b -> !before.contains(b.id())).reduce((a, b) -> b)
                .orElseThrow(() -> new BackupException("barman-cloud-backup exited 0 but no new backup is listed in store " + store.name()));
    }

    /** The store's base backups, oldest first. */
    public List<BaseBackup> list(ObjectStore store, ZoneId zone) {
        String out = run(store, "listing the base backups", LIST_TIMEOUT, tools.barman("barman-cloud-backup-list"),
                "--endpoint-url", store.endpoint(), "--format", "json", store.destination(), store.server());
        JsonNode json;
        try {
            json = Http.JSON.readTree(out.substring(Math.max(0, out.indexOf('{'))));
        } catch (RuntimeException e) {
            throw new BackupException("barman-cloud-backup-list printed no JSON for store " + store.name() + ": " + tail(out));
        }
        List<BaseBackup> all = new ArrayList<>();
        json.path("backups_list").forEach(b -> all.add(BaseBackup.of(b, zone)));
        all.sort(Comparator.comparing(BaseBackup::end));
        return all;
    }

    /** Downloads base backup {@code id} of {@code store} into {@code dir} (which must be empty). */
    public void fetch(ObjectStore store, String id, Path dir) {
        run(store, "fetching base backup " + id, BACKUP_TIMEOUT, tools.barman("barman-cloud-restore"), "--endpoint-url", store.endpoint(),
                store.destination(), store.server(), id, dir.toString());
    }

    /** Total size of a base backup's objects, from the lab store's directory; -1 when not there. */
    public static long size(ObjectStore store, String id) {
        Path dir = store.baseDir(id);
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        try {
            return ObjectStore.stored(dir).bytes();
        } catch (IOException e) {
            return -1;
        }
    }

    private String run(ObjectStore store, String what, Duration timeout, String... command) {
        Path out = null;
        try {
            out = Files.createTempFile("barman-cloud", ".out");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(CREDENTIALS);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new BackupException(what + " in store " + store.name() + " took longer than " + timeout.toMinutes() + " min; stopped it");
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new BackupException(explain(store, what, p.exitValue(), output));
            }
            return output;
        } catch (IOException e) {
            throw new BackupException("cannot run " + command[0] + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(what + " interrupted");
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

    static String explain(ObjectStore store, String what, int exit, String output) {
        if (output.contains("Can't connect to cloud provider") || output.contains("Could not connect to the endpoint URL")
                || output.contains("Connection refused")) {
            return "store " + store.name() + " (" + store.endpoint() + ") is unreachable: " + what + " failed. Is the lab up "
                    + "('twincloud lab status')?";
        }
        if (output.contains("NoSuchBucket") || output.contains("Bucket does not exist")) {
            return "store " + store.name() + " has no bucket " + store.bucket() + ": " + what + " failed";
        }
        return what + " in store " + store.name() + " failed (exit " + exit + "): " + tail(output);
    }

    private static String tail(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "(no output)" : lines.subList(Math.max(0, lines.size() - 3), lines.size()).stream()
                .collect(Collectors.joining(" | "));
    }

    private static String env() {
        return CREDENTIALS.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
