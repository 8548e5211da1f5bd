package dev.twincloud.lab.cli;

import dev.twincloud.core.decide.ClusterHealth;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.link.LinkStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's view of the arbiter's status, as text tables (like {@code patronictl list}): pure
 * functions of the typed contract ({@link ArbiterStatus}, {@link Event}, {@link LinkStatus}), so that
 * fixed inputs give fixed text.
 */
final class StatusTables {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    /** How many of the last events {@code status} shows. */
    static final int STATUS_EVENTS = 5;

    private StatusTables() {
    }

    /** Header line, one row per site, alerts (the arbiter's and what the status shows), the last events. */
    static String cluster(ArbiterStatus s, List<Event> events) {
        StringBuilder out = new StringBuilder();
        out.append("epoch ").append(s.epoch()).append("  writer ").append(s.writer() == null ? "none" : s.writer())
                .append("  mode ").append(s.mode()).append("  standby eligible ").append(yesNo(s.standbyEligible()))
                .append("  arbiter time ").append(s.now() == null ? "?" : TIME.format(s.now())).append('\n').append('\n');
        out.append(sites(s));
        out.append('\n').append("Alerts:\n");
        List<String> alerts = alerts(s);
        if (alerts.isEmpty()) {
            out.append("  none\n");
        }
        alerts.forEach(a -> out.append("  ! ").append(a).append('\n'));
        List<Event> last = events.subList(Math.max(0, events.size() - STATUS_EVENTS), events.size());
        out.append('\n').append("Last events:\n");
        out.append(last.isEmpty() ? "  none\n" : events(last, "  "));
        return out.toString();
    }

    /** The arbiter's alerts first, then what {@link ClusterHealth#warnings} reads from the status, without repeats. */
    static List<String> alerts(ArbiterStatus s) {
        Set<String> all = new LinkedHashSet<>(s.alerts());
        all.addAll(ClusterHealth.warnings(s));
        return new ArrayList<>(all);
    }

    /** One row per configured site. */
    static String sites(ArbiterStatus s) {
        TextTable t = new TextTable("SITE", "ROLE", "STATE", "DB", "EPOCH", "LEASE LEFT", "TL", "REPLICATION", "LAG BYTES",
                "LAG", "SYNC", "REPORT AGE");
        Optional<AgentReport> writerReport = Optional.ofNullable(s.writer()).flatMap(s::site).flatMap(ArbiterStatus.Site::lastReport);
        for (Map.Entry<String, ArbiterStatus.Site> e : s.sites().entrySet()) {
            ArbiterStatus.Site site = e.getValue();
            Optional<AgentReport> r = site.lastReport();
            boolean writer = site.writer();
            Optional<ReplicaInfo> replica = writer ? Optional.empty()
                    : writerReport.flatMap(w -> w.replica(SiteId.of(e.getKey())));
            t.row(e.getKey(),
                    role(writer, r),
                    r.map(x -> x.state().name()).orElse("no report"),
                    r.map(x -> x.dbRole().name()).orElse(null),
                    r.map(AgentReport::epoch).orElse(null),
                    writer ? leaseLeft(s) : null,
                    r.map(x -> x.timeline() == 0 ? null : x.timeline()).orElse(null),
                    writer ? null : replica.map(x -> x.state().isEmpty() ? "connected" : x.state()).orElse("not connected"),
                    writer ? null : lagBytes(writerReport, replica, r).map(Object::toString).orElse(null),
                    writer ? null : replica.flatMap(ReplicaInfo::replayLagMillis).map(StatusTables::seconds).orElse(null),
                    writer ? syncOf(s) : replica.map(x -> x.syncState().isEmpty() ? null : x.syncState()).orElse(null),
                    site.ageMillis().map(a -> seconds(a) + (site.fresh() ? "" : " (stale)")).orElse(null));
        }
        return t.render("");
    }

    /**
     * Bytes the standby is behind the writer: the writer's position minus what the standby replayed,
     * from the writer's report (one reading of both); from the standby's own report when the writer
     * shows no row for it.
     */
    static Optional<Long> lagBytes(Optional<AgentReport> writer, Optional<ReplicaInfo> replica, Optional<AgentReport> standby) {
        if (writer.isEmpty()) {
            return Optional.empty();
        }
        if (replica.isPresent()) {
            return Optional.of(writer.get().writeLsn().bytesAfter(replica.get().replayLsn()));
        }
        // a standby's own replay position; not a deposed writer's, whose WAL is of another timeline
        return standby.filter(r -> r.dbRole() == DbRole.STANDBY && r.writeLsn().value() != 0)
                .map(r -> writer.get().writeLsn().bytesAfter(r.writeLsn()));
    }

    /** The writer; a site that last reported itself a writer but is not (of an older epoch): deposed; else standby. */
    static String role(boolean writer, Optional<AgentReport> report) {
        if (writer) {
            return "writer";
        }
        return report.filter(r -> r.state().isWriter() || r.dbRole() == DbRole.PRIMARY).isPresent() ? "deposed" : "standby";
    }

    private static String syncOf(ArbiterStatus s) {
        return s.writerSync() ? "sync" : "async";
    }

    /** What is left of the writer's lease by the arbiter's clock; "expired" when it has ended, "none" before the first grant. */
    static String leaseLeft(ArbiterStatus s) {
        if (s.leaseExpiresAt() == null || s.now() == null || s.leaseEpoch() != s.epoch()) {
            return "none";
        }
        long ms = Duration.between(s.now(), s.leaseExpiresAt()).toMillis();
        return ms <= 0 ? "expired" : seconds(ms);
    }

    /** A duration for people: "850 ms" below a second, "2.4 s" above. */
    static String seconds(long millis) {
        return millis < 1000 ? millis + " ms" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    /** The events as a table (oldest first, as the arbiter lists them). */
    static String events(List<Event> events, String indent) {
        TextTable t = new TextTable("TIME", "KIND", "EPOCH", "SITE", "WHY");
        for (Event e : events) {
            t.row(e.at() == null ? null : TIME.format(e.at()), e.kind(), e.epoch(), e.site(), e.why() == null || e.why().isBlank() ? null : e.why());
        }
        return t.render(indent);
    }

    /** The lab's processes (pid or "down") and its links. */
    static String lab(String root, String entry, Map<String, Object> processes, List<LinkStatus> links) {
        StringBuilder out = new StringBuilder();
        out.append("lab ").append(root).append("  entry ").append(entry).append("\n\n");
        TextTable p = new TextTable("COMPONENT", "PID");
        processes.forEach((name, pid) -> p.row(name, pid));
        out.append(p.render(""));
        if (!links.isEmpty()) {
            out.append('\n');
            TextTable l = new TextTable("LINK", "STATE", "LATENCY", "DELAY", "OPEN", "BYTES ->", "BYTES <-");
            for (LinkStatus x : links) {
                l.row(x.name(), x.state(), latency(x), x.delayMs() == 0 ? "-" : x.delayMs() + " ms", x.connectionsOpen(),
                        x.bytesForward(), x.bytesBackward());
            }
            out.append(l.render(""));
        }
        return out.toString();
    }

    /** One arbiter replica in the lab control's status ({@code role}: acting, standing by, down, no answer). */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record Replica(String name, String url, String role) {
    }

    /** One home edge entry of an active-active lab in the lab control's status. */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record HomeEntry(String name, String url, String home, String routedTo) {
    }

    /** The home entries of an active-active lab: which site each one's users are sent to now. */
    static String homeEntries(List<HomeEntry> entries) {
        StringBuilder b = new StringBuilder(String.format("%-10s %-24s %-6s %s%n", "ENTRY", "URL", "HOME", "ROUTED TO"));
        for (HomeEntry e : entries) {
            String routed = e.routedTo() == null ? "?" : e.routedTo();
            b.append(String.format("%-10s %-24s %-6s %s%n", e.name(), e.url(), e.home(),
                    routed.equals(e.home()) ? routed : routed + "  (away from home)"));
        }
        return b.toString();
    }

    /** One etcd member in the lab control's status. */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record EtcdMember(String name, String url, String health, boolean leader) {
    }

    /** The arbiter replicas (which acts, where the front sends requests) and the etcd members (health, raft leader). */
    static String replicas(List<Replica> replicas, String front, List<EtcdMember> etcd) {
        StringBuilder out = new StringBuilder();
        TextTable r = new TextTable("ARBITER REPLICA", "URL", "ROLE", "FRONT");
        for (Replica x : replicas) {
            r.row(x.name(), x.url(), x.role(), x.name().equals(front) ? "routes here" : null);
        }
        out.append(r.render(""));
        if (replicas.stream().noneMatch(x -> x.name().equals(front))) {
            out.append("front: ").append(front == null || front.equals("none") ? "routes nowhere (no replica acts)" : front).append('\n');
        }
        if (etcd != null && !etcd.isEmpty()) {
            out.append('\n');
            TextTable e = new TextTable("ETCD MEMBER", "URL", "HEALTH", "RAFT");
            for (EtcdMember m : etcd) {
                e.row(m.name(), m.url(), m.health(), m.leader() ? "leader" : m.health().equals("healthy") ? "follower" : null);
            }
            out.append(e.render(""));
        }
        return out.toString();
    }

    private static String latency(LinkStatus x) {
        if (x.latencyForwardMs() == 0 && x.latencyBackwardMs() == 0) {
            return "-";
        }
        return x.latencyForwardMs() + " / " + x.latencyBackwardMs() + " ms";
    }
}
