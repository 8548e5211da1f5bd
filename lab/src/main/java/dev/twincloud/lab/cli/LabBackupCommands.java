package dev.twincloud.lab.cli;

import dev.twincloud.lab.backup.BackupException;
import dev.twincloud.lab.backup.BackupTools;
import dev.twincloud.lab.backup.BarmanCloud;
import dev.twincloud.lab.backup.BaseBackup;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.lab.backup.Lsn;
import dev.twincloud.lab.backup.ObjectStore;
import dev.twincloud.lab.backup.Restore;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PgException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lab backup}, {@code lab backups}, {@code lab restore}: the lab's base backups and point-in-time restores (docs/backups.md). */
final class LabBackupCommands {
    private LabBackupCommands() {
    }

    /** Shared: the lab, the tools, and turning a {@link BackupException} into a message and exit 1. */
    abstract static class BackupVerb implements Callable<Integer> {
        @Mixin
        LabOptions lab;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract int run(BarmanCloud barman, PrintWriter out) throws Exception;

        /** Checks the arguments before anything else (a usage error exits 2 even where the tools are missing). */
        abstract void validate();

        @Override
        public Integer call() throws Exception {
            validate();
            PrintWriter err = spec.commandLine().getErr();
            try {
                return run(new BarmanCloud(BackupTools.require()), spec.commandLine().getOut());
            } catch (BackupException | IllegalStateException | PgException e) {
                err.println("lab " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        }

        List<ObjectStore> stores(String name) {
            if (name == null || name.equals("all")) {
                return ObjectStore.all(lab.layout());
            }
            try {
                return List.of(ObjectStore.of(name, lab.layout()));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--store: " + e.getMessage());
            }
        }
    }

    @Command(name = "backup", mixinStandardHelpOptions = true, description = {
            "Take a base backup now, into each site's own store: site gcp's database into store gcs, aws's into s3.",
            "Each is taken from that site's database: from the standby on the standby's site (barman-cloud-backup; "
                    + "its end waits for the writer's next segment switch, at most archive_timeout, 30 s).",
            "Needs a running lab with backups on (docs/backups.md)."})
    static final class Backup extends BackupVerb {
        @Option(names = "--store", paramLabel = "gcs|s3|all", defaultValue = "all", description = "Which store. Default: ${DEFAULT-VALUE}")
        String store;

        @Override
        void validate() {
            stores(store);
        }

        @Override
        int run(BarmanCloud barman, PrintWriter out) {
            for (ObjectStore s : stores(store)) {
                out.println("backing up site " + s.site() + " into store " + s.name() + " ...");
                out.flush();
                long t0 = System.nanoTime();
                BaseBackup b = LabBackups.backup(lab.layout(), barman, s);
                ObjectStore g = LabBackups.current(lab.layout(), s);
                out.printf(Locale.ROOT, "store %s: base backup %s of site %s (archive %s, from the %s), WAL %s..%s, %s, took %.1f s%n",
                        s.name(), b.id(), s.site(), g.server(), b.fromStandby() ? "standby" : "primary", b.beginWal(), b.endWal(),
                        bytes(BarmanCloud.size(g, b.id())), (System.nanoTime() - t0) / 1e9);
            }
            return 0;
        }
    }

    @Command(name = "backups", mixinStandardHelpOptions = true, description = {
            "Per store: its base backups (end time, size, WAL range, from the standby or the primary) and the archiving "
                    + "site's archive lag (last archived segment, WAL not yet in the store, failures).",
            "A site re-cloned archives under a new name (<site>-g<clone time>): each generation is listed, newest first.",
            "An unreachable store or a stopped database is shown as such; the exit is 1 if any store could not be read."})
    static final class Backups extends BackupVerb {
        @Option(names = "--store", paramLabel = "gcs|s3|all", defaultValue = "all", description = "Which store. Default: ${DEFAULT-VALUE}")
        String store;

        @Override
        void validate() {
            stores(store);
        }

        @Override
        int run(BarmanCloud barman, PrintWriter out) {
            int exit = 0;
            for (LabBackups.StoreReport r : LabBackups.report(lab.layout(), barman, stores(store))) {
                out.println("store " + r.store().name() + " (" + r.store().endpoint() + ", bucket " + r.store().bucket() + ") — site "
                        + r.store().site() + "'s archive " + r.store().server());
                if (r.error().isPresent()) {
                    out.println("  " + r.error().get());
                    exit = 1;
                } else if (r.backups().isEmpty()) {
                    out.println("  no base backup yet: 'twincloud lab backup'");
                } else {
                    TextTable t = new TextTable("backup", "ended", "size", "WAL from", "WAL to", "timeline", "taken on");
                    for (int i = 0; i < r.backups().size(); i++) {
                        BaseBackup b = r.backups().get(i);
                        t.row(b.id() + (b.usable() ? "" : " (" + b.status() + ")"), b.end().toString(), bytes(r.sizes().get(i)),
                                b.beginWal(), b.endWal(), Integer.toString(b.timeline()), b.fromStandby() ? "standby" : "primary");
                    }
                    out.println(t.render("  ").stripTrailing());
                }
                if (r.archiver().isPresent()) {
                    LabBackups.Archiver a = r.archiver().get();
                    out.println("  archiving (" + (a.standby() ? "standby, archive_mode=always" : "primary") + "): last archived "
                            + a.lastArchived().orElse("nothing yet") + a.lastArchivedAt().map(at -> " at " + at + " ("
                            + Duration.between(at, Instant.now()).toSeconds() + " s ago)").orElse("")
                            + "; position " + Lsn.format(a.position()) + ", not yet archived "
                            + (a.lagBytes() < 0 ? "unknown" : bytes(a.lagBytes())) + "; failures " + a.failed()
                            + a.lastFailed().map(f -> " (last: " + f + ")").orElse(""));
                } else {
                    out.println("  " + r.archiverError().orElse(""));
                }
                out.println("  restore drill: " + restoreDrillLine(lab.layout(), r.store().name()));
            }
            return exit;
        }
    }

    @Command(name = "restore-drill", mixinStandardHelpOptions = true, description = {
            "Prove that each store alone restores what the writer has: make a restore point on the writer (its ECG tables' "
                    + "row counts and checksums read at that very point), restore each store's newest base backup plus WAL to it "
                    + "into a scratch PostgreSQL, compare, and remove the scratch copy.",
            "Prints per store the time to restore, the recovery point and the RPO (the point's age when the store held it); "
                    + "writes them to <lab root>/restore-drill/metrics.prom (twincloud_restore_drill_*{store}), which "
                    + "'lab backups' prints. Exit 1 when any store's drill failed (a mismatching copy is kept, stopped, as "
                    + "DIR.mismatch).",
            "The writes to the ECG tables wait while the checksums are read (SHARE locks). Needs a running lab with backups on "
                    + "and the API's tables (docs/backups.md#restore-drill)."})
    static final class RestoreDrillCmd extends BackupVerb {
        @Option(names = "--store", paramLabel = "gcs|s3|both", defaultValue = "both", description = "Which store(s). Default: ${DEFAULT-VALUE}")
        String store;

        @Option(names = "--switch-wal", description = "Close the writer's WAL segment at once (pg_switch_wal) instead of waiting for "
                + "archive_timeout (30 s): a quicker drill, whose RPO then measures the archiving delay only.")
        boolean switchWal;

        @Override
        void validate() {
            stores(store.equals("both") ? "all" : store);
        }

        @Override
        int run(BarmanCloud barman, PrintWriter out) {
            List<dev.twincloud.lab.backup.RestoreDrill.Result> results = LabBackups.restoreDrill(lab.layout(), barman, PgBinaries.locate(),
                    stores(store.equals("both") ? "all" : store), switchWal, null, m -> {
                        out.println(m);
                        out.flush();
                    });
            boolean failed = false;
            for (var r : results) {
                if (!r.passed()) {
                    failed = true;
                    spec.commandLine().getErr().println("lab restore-drill: " + r.summary()
                            + r.kept().map(k -> " (restored copy kept, stopped, in " + k + ")").orElse(""));
                }
            }
            return failed ? 1 : 0;
        }
    }

    /** Exactly one of the three targets, or none (then: the latest). */
    static final class Target {
        @Option(names = "--to-time", paramLabel = "T", description = "Recover every transaction committed up to T (ISO, e.g. 2026-11-30T15:04:05.123Z).")
        String time;

        @Option(names = "--to-lsn", paramLabel = "L", description = "Recover the WAL up to position L (e.g. 0/3000060).")
        String lsn;

        @Option(names = "--latest", description = "Recover everything the store's archive holds (the default).")
        boolean latest;
    }

    @Command(name = "restore", mixinStandardHelpOptions = true, description = {
            "Restore a store's base backup plus its WAL into a scratch PostgreSQL, start it, and print what it recovered.",
            "The newest base backup consistent before the target (in the newest generation of the site's archive that has one) "
                    + "is fetched into DIR.partial, recovered there (restore_command "
                    + "barman-cloud-wal-restore, recovery_target_action promote), and only then renamed to DIR and started on --port; "
                    + "any failure removes DIR.partial and exits 1 (DIR.log keeps the server log). The scratch server never archives.",
            "Stop it with: pg_ctl -D DIR stop."})
    static final class RestoreCmd extends BackupVerb {
        @Option(names = "--store", required = true, paramLabel = "gcs|s3", description = "The store to restore from.")
        String store;

        @ArgGroup(exclusive = true, multiplicity = "0..1")
        Target target;

        @Option(names = "--into", required = true, paramLabel = "DIR", description = "A new (or empty) directory for the restored data.")
        Path into;

        @Option(names = "--port", description = "Port of the restored server. Default: base port + 8.")
        Integer port;

        @Override
        void validate() {
            if (store.equals("all")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--store: name one store, gcs or s3");
            }
            stores(store);
            target();
        }

        @Override
        int run(BarmanCloud barman, PrintWriter out) {
            ObjectStore s = stores(store).get(0);
            Restore.Target t = target();
            int p = port != null ? port : lab.layout().restorePort();
            long t0 = System.nanoTime();
            Restore.Restored r = new Restore(barman, PgBinaries.locate(), ZoneId.systemDefault(), m -> {
                out.println(m);
                out.flush();
            }).run(s, t, into, p);
            out.printf(Locale.ROOT, "restored in %.1f s: %s on 127.0.0.1:%d, timeline %d, from base backup %s (store %s, site %s)%n",
                    (System.nanoTime() - t0) / 1e9, r.dir(), r.port(), r.timeline(), r.backup().id(), s.name(), s.site());
            r.recoveryReport().forEach(l -> out.println("  " + l));
            List<String> counts = new ArrayList<>();
            r.rowCounts().forEach((table, n) -> counts.add(table + " " + n));
            out.println("  rows: " + (counts.isEmpty() ? "no tables in schema public" : String.join(", ", counts)));
            out.println("stop it with: pg_ctl -D " + r.dir() + " stop");
            return 0;
        }

        private Restore.Target target() {
            if (target == null || target.latest) {
                return new Restore.Target.Latest();
            }
            if (target.time != null) {
                try {
                    return new Restore.Target.Time(Instant.parse(target.time.trim()));
                } catch (DateTimeParseException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--to-time: '" + target.time + "' is not an ISO instant (e.g. 2026-11-30T15:04:05.123Z)");
                }
            }
            try {
                return new Restore.Target.Position(Lsn.parse(target.lsn));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--to-lsn: " + e.getMessage());
            }
        }
    }

    /** The store's last restore drill, from the drill's metrics file. */
    static String restoreDrillLine(dev.twincloud.lab.supervisor.LabLayout layout, String store) {
        Map<String, String> m = dev.twincloud.lab.backup.RestoreDrill.readMetrics(LabBackups.restoreDrillMetrics(layout));
        String label = "{store=\"" + store + "\"}";
        String last = m.get("twincloud_restore_drill_last_run_success" + label);
        if (last == null) {
            return "never run ('twincloud lab restore-drill')";
        }
        String success = m.get("twincloud_restore_drill_last_success_timestamp_seconds" + label);
        String ok = success == null ? "no successful drill yet"
                : String.format(Locale.ROOT, "last success %s: restored in %s s, RPO %s s",
                        Instant.ofEpochMilli((long) (Double.parseDouble(success) * 1000)),
                        m.get("twincloud_restore_drill_duration_seconds" + label), m.get("twincloud_restore_drill_rpo_seconds" + label));
        return ("1".equals(last) ? "last run passed; " : "LAST RUN FAILED; ") + ok;
    }

    static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f kB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", n / (1024.0 * 1024));
    }
}
