package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.twincloud.core.fsm.SiteState;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The body of the arbiter's {@code GET /v1/status}: what it stores, what it saw last from each site,
 * its alerts and its configuration. The arbiter builds it; its clients (the lab, the drill, an
 * operator's tools) read the JSON back into this record. The component names are the JSON's field
 * names; a field a newer arbiter adds is ignored by an older reader.
 *
 * @param now             the arbiter's clock when it answered
 * @param epoch           the current epoch
 * @param writer          the writer of the current epoch
 * @param mode            the durability mode
 * @param writerSync      the writer runs with synchronous replication (as the arbiter last told it)
 * @param standbyEligible the standby may be promoted (in sync, or within max lag in ASYNC mode)
 * @param switchover      the planned switchover under way, if any
 * @param systemId        the PostgreSQL system identifier both sites share (0 before the first report)
 * @param leaseEpoch      the epoch of the last lease granted
 * @param leaseExpiresAt  the arbiter-clock end of the last lease granted (after a restart: at the
 *                        earliest restart time + ttl, as the arbiter must assume)
 * @param sites           per site name, in the configured order
 * @param alerts          the alerts raised now
 * @param config          the arbiter's configuration
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ArbiterStatus(
        Instant now,
        long epoch,
        SiteId writer,
        Durability mode,
        boolean writerSync,
        boolean standbyEligible,
        Optional<Switchover> switchover,
        long systemId,
        long leaseEpoch,
        Instant leaseExpiresAt,
        Map<String, Site> sites,
        List<String> alerts,
        Config config) {

    public ArbiterStatus {
        switchover = switchover == null ? Optional.empty() : switchover;
        sites = sites == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(sites));
        alerts = alerts == null ? List.of() : List.copyOf(alerts);
    }

    /** A planned switchover under way: from the old writer to {@code to}, begun at {@code startedAt}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Switchover(SiteId from, SiteId to, Instant startedAt) {
    }

    /**
     * What the arbiter knows of one site.
     *
     * @param writer         the site is the writer of the current epoch
     * @param lastReport     the site's last heartbeat (absent before the first since the arbiter started)
     * @param receivedAt     when it was received (arbiter clock)
     * @param ageMillis      how long ago it was received
     * @param fresh          received within the report timeout
     * @param lastAssignment the last answer sent to the site
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Site(boolean writer, Optional<AgentReport> lastReport, Optional<Instant> receivedAt, Optional<Long> ageMillis,
                       boolean fresh, Optional<Assignment> lastAssignment) {
        public Site {
            lastReport = lastReport == null ? Optional.empty() : lastReport;
            receivedAt = receivedAt == null ? Optional.empty() : receivedAt;
            ageMillis = ageMillis == null ? Optional.empty() : ageMillis;
            lastAssignment = lastAssignment == null ? Optional.empty() : lastAssignment;
        }

        /** The state the site last reported (absent before its first report). */
        public Optional<SiteState> state() {
            return lastReport.map(AgentReport::state);
        }
    }

    /** The arbiter's configuration (durations in milliseconds). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Config(List<SiteId> sites, long leaseTtlMillis, long marginMillis, long reportTimeoutMillis,
                         long standbyLossTimeoutMillis, long maxLagBytes, long switchoverTimeoutMillis, long tickIntervalMillis,
                         String stateDir) {
        public Config {
            sites = sites == null ? List.of() : List.copyOf(sites);
        }
    }

    /** What the arbiter knows of {@code site} (absent for a site it is not configured with). */
    public Optional<Site> site(SiteId site) {
        return Optional.ofNullable(sites.get(site.name()));
    }

    /** The state {@code site} last reported (absent before its first report, or for an unknown site). */
    public Optional<SiteState> stateOf(SiteId site) {
        return site(site).flatMap(Site::state);
    }

    /** The configured site that is not the writer (the standby of a two-site system). */
    public Optional<SiteId> standby() {
        return sites.keySet().stream().filter(n -> writer == null || !n.equals(writer.name())).findFirst().map(SiteId::of);
    }

    /** The state the writer last reported. */
    public Optional<SiteState> writerState() {
        return writer == null ? Optional.empty() : stateOf(writer);
    }

    /** The state the standby last reported. */
    public Optional<SiteState> standbyState() {
        return standby().flatMap(this::stateOf);
    }
}
