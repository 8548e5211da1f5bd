package dev.twincloud.lab.drill;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.link.LinkState;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabMonitoring;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The drill's own lab: every fault can be played, every database read. */
public final class LabTarget implements DrillTarget {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LabTarget.class);

    private final Lab lab;
    private final String token;
    private final boolean owned;

    /** @param owned close the lab with the drill */
    public LabTarget(Lab lab, boolean owned) {
        this.lab = lab;
        this.owned = owned;
        this.token = lab.secrets().devToken(Duration.ofHours(24));
    }

    public Lab lab() {
        return lab;
    }

    @Override
    public String describe() {
        return "lab at " + lab.layout().root() + " (base port " + lab.layout().basePort() + ", " + lab.settings().mode()
                + ", lease ttl " + lab.settings().leaseTtl().toMillis() + " ms"
                + (lab.settings().replicated() ? ", " + lab.settings().arbiterReplicas() + " arbiter replicas on etcd" : "")
                + (lab.settings().activeActive() ? ", active-active: clients on both home entries" : "") + ")";
    }

    @Override
    public String edgeUrl() {
        return lab.layout().entryUrl();
    }

    @Override
    public java.util.Map<String, String> homeEntryUrls() {
        if (!lab.settings().activeActive()) {
            return java.util.Map.of();
        }
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        for (SiteId site : LabLayout.SITES) {
            out.put(Lab.homeEntry(site), lab.layout().homeEntryUrl(site));
        }
        return out;
    }

    @Override
    public String token() {
        return token;
    }

    @Override
    public Optional<String> arbiterUrl() {
        return Optional.of(lab.arbiterUrl());
    }

    @Override
    public String operatorToken() {
        return lab.secrets().operatorToken();
    }

    @Override
    public String edgeStatusUrl() {
        return lab.layout().entryUrl() + "/_edge/status";
    }

    @Override
    public boolean canPlay(FaultStep.Action action) {
        return true;
    }

    /** The replica scenarios' steps need two arbiter replicas; restoring the state file needs one arbiter. */
    @Override
    public boolean canPlay(FaultStep step) {
        boolean replicated = lab.settings().replicated();
        return switch (step.action()) {
            case ROLLING_RESTART_ARBITER -> replicated;
            case SAVE_ARBITER_STATE, RESTART_ARBITER_FROM_SAVED, CHECK_ARBITER_REFUSES -> !replicated;
            case RESTORE_DRILL -> lab.backups();
            default -> replicated || !List.of(Scenario.ACTING_ARBITER, Scenario.ETCD_LEADER).contains(step.target());
        };
    }

    /** How long {@code arbiter-restart-old-state} waits for the old writer's re-join before it restarts the arbiter. */
    static final Duration REJOIN_BEFORE_RESTART = Duration.ofSeconds(30);

    /** No switchover under way, and a standby the arbiter would promote: in SYNC, the writer's synchronous one. */
    static boolean standbyInSync(dev.twincloud.core.protocol.ArbiterStatus s) {
        return s.switchover().isEmpty() && s.standbyEligible()
                && (s.mode() == dev.twincloud.core.protocol.Durability.ASYNC || s.writerSync());
    }

    /** The writer the arbiter names now, or "" when it does not answer. */
    private String currentWriter() {
        try {
            var r = dev.twincloud.lab.supervisor.Http.get(lab.arbiterUrl() + "/v1/status", operatorToken());
            return r.status() == 200 ? r.as(dev.twincloud.core.protocol.ArbiterStatus.class).writer().name() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    @Override
    public void play(FaultStep.Action action, String target, String other) throws IOException {
        play(action, target, other, 0);
    }

    @Override
    public void play(FaultStep.Action action, String target, String other, long ms) throws IOException {
        switch (action) {
            case KILL -> lab.kill(target);
            case REVIVE -> lab.revive(target);
            case FREEZE -> lab.signal(target, true);
            case THAW -> lab.signal(target, false);
            case PARTITION -> lab.partition(target, other);
            case HEAL -> lab.links().partition(target, other, LinkState.UP);
            case KILL_AGENT -> lab.killComponent(target + "-agent");
            case START_AGENT -> lab.revive(target); // starts what of the site is not running: its agent
            case SWITCHOVER -> Drill.switchover(lab.arbiterUrl(), operatorToken(), target);
            case PAUSE -> lab.pauseComponent(target, other, true);
            case RESUME -> lab.pauseComponent(target, other, false);
            case KILL_POSTGRES -> {
                if (lab.killPostmaster(target).isEmpty()) {
                    throw new IOException("no postmaster running on " + target);
                }
            }
            case CHECK_POSTGRES -> {
                if (!lab.postmasterRunning(target)) {
                    String writer = currentWriter();
                    if (!writer.isEmpty() && !writer.equals(target)) {
                        // A failover followed the kill (the scenario allows one: the restart outlasted the lease): the agent
                        // stopped its database on purpose and re-joins it as a standby (pg_rewind or a clone). Nothing to
                        // heal here, and killing the agent in the middle of that is no part of this scenario; the run's
                        // promotion count and settling judge the rest.
                        log.info("the postmaster of {} was not running {} ms after its kill: {} had been promoted, and {}'s agent is "
                                + "re-joining it (left to it)", target, Scenario.POSTMASTER_CHECK_MS, writer, target);
                        return;
                    }
                    lab.restartAgent(target);
                    throw new FaultStep.NotSelfHealed("the postmaster of " + target + " was not running " + Scenario.POSTMASTER_CHECK_MS
                            + " ms after its kill: its agent did not start it again (the drill restarted the agent)");
                }
            }
            case DELAY -> lab.delay(target, other, Duration.ofMillis(ms));
            case UNDELAY -> lab.delay(target, other, Duration.ZERO);
            case SAVE_ARBITER_STATE -> lab.saveArbiterState("drill-old");
            case RESTART_ARBITER_FROM_SAVED -> {
                // What this scenario tests is the writer writing on while the one arbiter refuses both sites: on the failsafe
                // (rule 9), whose promise only a synchronous standby gives. Right after the switchover the old writer is
                // still re-joining; an arbiter killed then leaves the new writer no renewal and no promise, and its lease
                // runs out (seen in a 10-run drill, 2026-12-02: 25 s without writes). So wait for the re-join, bounded.
                try {
                    dev.twincloud.lab.supervisor.Http.await("the old writer re-joined as the synchronous standby",
                            lab.arbiterUrl() + "/v1/status", operatorToken(), REJOIN_BEFORE_RESTART, r -> r.status() == 200
                                    && standbyInSync(r.as(dev.twincloud.core.protocol.ArbiterStatus.class)));
                } catch (IllegalStateException e) {
                    log.warn("restarting the arbiter from its old state without a synchronous standby ({}): the writer has no "
                            + "failsafe promise meanwhile", e.getMessage());
                }
                lab.restartArbiterWithState("drill-old", "drill-current");
            }
            case CHECK_ARBITER_REFUSES -> {
                // The arbiter restarted from the old copy may still be starting (a JVM: 20-25 s under a drill's load
                // without its class-data archive, as after a build, 2026-12-02), and refuses a site on its first heartbeat
                // after that: wait for the alert, bounded.
                String problem = null;
                try {
                    dev.twincloud.lab.supervisor.Http.await("the arbiter's epoch alert", lab.arbiterUrl() + "/v1/status",
                            operatorToken(), Duration.ofSeconds(60), r -> r.status() == 200
                                    && r.as(dev.twincloud.core.protocol.ArbiterStatus.class).alerts().stream()
                                            .anyMatch(alert -> alert.contains("restored from an old copy")));
                } catch (IllegalStateException e) {
                    problem = e.getMessage();
                }
                lab.restartArbiterWithState("drill-current", "drill-old");
                if (problem != null) {
                    throw new FaultStep.NotSelfHealed("the arbiter restarted from an older state raised no epoch alert: "
                            + problem + "; the drill put its current state back");
                }
            }
            case ROLLING_RESTART_ARBITER -> {
                try {
                    lab.rollingRestartArbiter();
                } catch (IllegalStateException e) {
                    throw new FaultStep.NotSelfHealed("the rolling restart of the arbiter replicas did not finish: " + e.getMessage());
                }
            }
            case OPEN_TXNS, COMMIT_TXNS, RESTORE_DRILL -> throw new IllegalStateException(action + " is played by the drill itself");
        }
    }

    /** With two replicas: every replica's own history, merged ({@link Lab#replicaEvents()}). */
    @Override
    public Optional<List<tools.jackson.databind.JsonNode>> arbiterHistory() {
        return lab.settings().replicated() ? Optional.of(lab.replicaEvents()) : Optional.empty();
    }

    @Override
    public boolean componentsReady() {
        return lab.arbiterReplicasReady();
    }

    /** The lab's Prometheus and Alertmanager, when it runs them ({@code lab drill} without {@code --no-monitoring}). */
    @Override
    public Optional<Monitoring> monitoring() {
        return lab.monitoring() ? Optional.of(new Monitoring(lab.layout().prometheusUrl(), lab.layout().alertmanagerUrl(),
                LabMonitoring.interval(), LabMonitoring.scrapeTimeout())) : Optional.empty();
    }

    @Override
    public Optional<java.nio.file.Path> logsDir() {
        return Optional.of(lab.layout().logs());
    }

    /** Takes a base backup into each store without a usable one, then runs the restore drill on both stores. */
    @Override
    public List<dev.twincloud.lab.backup.RestoreDrill.Result> restoreDrill(dev.twincloud.lab.backup.RestoreDrill.ExtraCheck extra,
                                                                           java.util.function.Consumer<String> progress) throws IOException {
        if (!lab.backups()) {
            throw new IOException("this lab runs without backups: start the drill with " + dev.twincloud.lab.backup.LabBackups.OFF_VARIABLE
                    + "=on (and s3rver and barman-cloud-* installed, docs/backups.md)");
        }
        try {
            var barman = new dev.twincloud.lab.backup.BarmanCloud(dev.twincloud.lab.backup.BackupTools.require());
            var stores = dev.twincloud.lab.backup.ObjectStore.all(lab.layout());
            for (var store : stores) {
                if (barman.list(store, java.time.ZoneId.systemDefault()).stream().noneMatch(dev.twincloud.lab.backup.BaseBackup::usable)) {
                    progress.accept("base backup of site " + store.site() + " into store " + store.name());
                    dev.twincloud.lab.backup.LabBackups.backup(lab.layout(), barman, store);
                }
            }
            return dev.twincloud.lab.backup.LabBackups.restoreDrill(lab.layout(), barman, dev.twincloud.pgctl.PgBinaries.locate(), stores,
                    false, extra, progress);
        } catch (dev.twincloud.lab.backup.BackupException | IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> jdbcUrl(String site) {
        return Optional.of("jdbc:postgresql://127.0.0.1:" + lab.layout().pgPort(SiteId.of(site)) + "/" + Lab.APP_DATABASE);
    }

    @Override
    public String databaseUser() {
        return lab.settings().dbRoles() == dev.twincloud.lab.supervisor.LabSettings.DbRoles.PRODUCTION ? Lab.APP_ROLE : "postgres";
    }

    @Override
    public java.util.Map<String, String> siteApiUrls() {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        for (SiteId s : LabLayout.SITES) {
            m.put(s.name(), lab.apiUrl(s));
        }
        return m;
    }

    @Override
    public Optional<DbSnapshot> quickSnapshot(String site, String keyPrefix, double wallStartMillis) {
        DbSnapshot s = snapshot(SiteId.of(site), keyPrefix, wallStartMillis, "loginTimeout=2&connectTimeout=2&socketTimeout=4");
        return s.available() ? Optional.of(s) : Optional.empty();
    }

    @Override
    public void restoreAll() throws IOException {
        lab.heal();
        for (String t : lab.restoreTargets()) {
            lab.signal(t, false);
            lab.revive(t);
        }
    }

    @Override
    public List<DbSnapshot> snapshots(String keyPrefix, double wallStartMillis) {
        List<DbSnapshot> out = new ArrayList<>();
        for (SiteId s : LabLayout.SITES) {
            out.add(snapshot(s, keyPrefix, wallStartMillis));
        }
        return out;
    }

    private DbSnapshot snapshot(SiteId site, String keyPrefix, double wallStartMillis) {
        return snapshot(site, keyPrefix, wallStartMillis, "connectTimeout=3&socketTimeout=20");
    }

    private DbSnapshot snapshot(SiteId site, String keyPrefix, double wallStartMillis, String timeouts) {
        String url = "jdbc:postgresql://127.0.0.1:" + lab.layout().pgPort(site) + "/" + Lab.APP_DATABASE + "?" + timeouts;
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            String role;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                role = rs.getBoolean(1) ? "standby" : "primary";
            }
            List<DbSnapshot.Row> rows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT r.notes, r.id::text, r.written_site,
                           extract(epoch FROM pg_xact_commit_timestamp(r.xmin)) * 1000,
                           coalesce((SELECT sum(length(l.samples)) FROM ecg_lead l WHERE l.recording_id = r.id), 0)
                    FROM ecg_recording r WHERE r.notes LIKE ? ORDER BY 4""")) {
                ps.setString(1, keyPrefix + "%");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        double commit = rs.getDouble(4);
                        rows.add(new DbSnapshot.Row(rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.wasNull() ? Double.NaN : commit - wallStartMillis, rs.getLong(5)));
                    }
                }
            }
            return new DbSnapshot(site.name(), true, role, List.copyOf(rows));
        } catch (SQLException e) {
            return DbSnapshot.unavailable(site.name());
        }
    }

    @Override
    public void close() {
        if (owned) {
            lab.close();
        }
    }
}
