package dev.twincloud.arbiter.service;

import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.ArbiterHistory;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded ring of what the agents reported, for the status page's chart ({@code GET /v1/history}):
 * the writer's WAL position and each standby's lag, downsampled to one sample per {@code resolution}
 * (the newest report of each interval wins), kept for {@code window}. At most
 * {@code window / resolution} samples, so memory is fixed (600 small samples by default). Not thread
 * safe: the {@link ArbiterService} calls it under its lock. In memory only; it says nothing that a
 * decision depends on.
 */
final class ReportHistory {

    /** One sample per second of arbiter time ... */
    static final Duration RESOLUTION = Duration.ofSeconds(1);
    /** ... for the last ten minutes. */
    static final Duration WINDOW = Duration.ofMinutes(10);

    private final long resolutionMillis;
    private final long windowMillis;
    private final int capacity;
    private final Duration reportTimeout;
    private final ArrayDeque<ArbiterHistory.Sample> samples = new ArrayDeque<>();

    ReportHistory(Duration resolution, Duration window, Duration reportTimeout) {
        if (resolution.isNegative() || resolution.isZero() || window.compareTo(resolution) < 0) {
            throw new IllegalArgumentException("need 0 < resolution <= window, got " + resolution + ", " + window);
        }
        this.resolutionMillis = resolution.toMillis();
        this.windowMillis = window.toMillis();
        this.capacity = (int) (windowMillis / resolutionMillis);
        this.reportTimeout = reportTimeout;
    }

    /** After a report was accepted at {@code now}: what the arbiter knows now, replacing this interval's sample. */
    void record(Instant now, long epoch, SiteId writer, Map<SiteId, Observed> reports) {
        Optional<AgentReport> w = fresh(reports.get(writer), now);
        Optional<Lsn> writerLsn = w.filter(r -> r.dbRole() == DbRole.PRIMARY).map(AgentReport::writeLsn);
        Map<String, Long> lag = new LinkedHashMap<>();
        for (Map.Entry<SiteId, Observed> e : reports.entrySet()) {
            SiteId site = e.getKey();
            if (site.equals(writer)) {
                continue;
            }
            lagOf(site, w, fresh(e.getValue(), now)).ifPresent(bytes -> lag.put(site.name(), bytes));
        }
        var sample = new ArbiterHistory.Sample(now, epoch, writer, writerLsn, Optional.empty(), lag);
        ArbiterHistory.Sample last = samples.peekLast();
        if (last != null && bucket(last.at()) == bucket(now)) {
            samples.pollLast();
        }
        samples.addLast(sample);
        while (samples.size() > capacity || samples.peekFirst().at().toEpochMilli() < now.toEpochMilli() - windowMillis) {
            samples.pollFirst();
        }
    }

    /** The samples kept, oldest first, each with its throughput since the one before. */
    ArbiterHistory view(Instant now) {
        List<ArbiterHistory.Sample> out = new ArrayList<>(samples.size());
        ArbiterHistory.Sample previous = null;
        for (ArbiterHistory.Sample s : samples) {
            if (s.at().toEpochMilli() >= now.toEpochMilli() - windowMillis) {
                out.add(previous == null ? s : s.after(previous));
            }
            previous = s;
        }
        return new ArbiterHistory(now, resolutionMillis, windowMillis, out);
    }

    int size() {
        return samples.size();
    }

    /**
     * The standby's lag behind the writer's position: the writer's {@code pg_stat_replication} row
     * for it (what the decider judges, written - flushed), else the standby's own received position.
     */
    private static Optional<Long> lagOf(SiteId standby, Optional<AgentReport> writer, Optional<AgentReport> own) {
        if (writer.isEmpty() || writer.get().dbRole() != DbRole.PRIMARY) {
            return Optional.empty();
        }
        AgentReport w = writer.get();
        return w.replica(standby).map(r -> w.writeLsn().bytesAfter(r.flushLsn()))
                .or(() -> own.filter(s -> s.dbRole() == DbRole.STANDBY).map(s -> w.writeLsn().bytesAfter(s.receiveLsn())));
    }

    private Optional<AgentReport> fresh(Observed o, Instant now) {
        return Optional.ofNullable(o).filter(x -> !x.receivedAt().plus(reportTimeout).isBefore(now)).map(Observed::report);
    }

    private long bucket(Instant t) {
        return Math.floorDiv(t.toEpochMilli(), resolutionMillis);
    }
}
