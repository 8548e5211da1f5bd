package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.core.protocol.Timing;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The arbiter's timing and safety settings.
 *
 * @param sites              exactly two sites
 * @param leaseTtl           how long a write lease lasts after the writer's request reached the arbiter
 * @param margin             extra wait past the lease's end before another site may get a lease (clock drift)
 * @param reportTimeout      a site whose last heartbeat is older than this is not "fresh"
 * @param standbyLossTimeout how long the writer may miss its synchronous standby before the arbiter
 *                           lets it drop to async (sync mode)
 * @param maxLagBytes        async mode: the largest lag (bytes) with which a standby stays eligible, as
 *                           the writer's own replication row shows it ({@code writeLsn - flushLsn}) on
 *                           each of its reports; a failover then loses at most this plus what the
 *                           writer commits during one lease ttl
 * @param switchoverTimeout  a planned switchover whose old writer has not stopped cleanly and been
 *                           caught up with this long after it was told to fence is aborted
 * @param readLeaseTtl       sync mode: how long a read lease granted to the synchronous standby lasts,
 *                           timed by the arbiter from the heartbeat's arrival (docs/design.md rule 10);
 *                           zero: no read leases. The writer drops to async only once every read lease
 *                           granted has ended plus the margin, so this (plus the margin) is also the
 *                           shortest time from a standby's last heartbeat to the writer running async
 * @param switchoverArchiveWait how long a planned switchover may hold the old writer's fence (it keeps
 *                           its lease and writes meanwhile) while the writer reports WAL files waiting
 *                           for its archiver, which its clean shutdown would otherwise wait for with
 *                           writes stopped (docs/backups.md); zero: fence at once
 */
public record ArbiterConfig(
        List<SiteId> sites,
        Duration leaseTtl,
        Duration margin,
        Duration reportTimeout,
        Duration standbyLossTimeout,
        long maxLagBytes,
        Duration switchoverTimeout,
        Duration readLeaseTtl,
        Duration switchoverArchiveWait) {

    /** With the reference {@link Timing#SWITCHOVER_ARCHIVE_WAIT}. */
    public ArbiterConfig(List<SiteId> sites, Duration leaseTtl, Duration margin, Duration reportTimeout,
                         Duration standbyLossTimeout, long maxLagBytes, Duration switchoverTimeout, Duration readLeaseTtl) {
        this(sites, leaseTtl, margin, reportTimeout, standbyLossTimeout, maxLagBytes, switchoverTimeout, readLeaseTtl,
                Timing.SWITCHOVER_ARCHIVE_WAIT);
    }

    public ArbiterConfig {
        Objects.requireNonNull(sites);
        sites = List.copyOf(sites);
        if (sites.size() != 2 || sites.get(0).equals(sites.get(1))) {
            throw new IllegalArgumentException("exactly two distinct sites are supported, got " + sites);
        }
        requirePositive("leaseTtl", leaseTtl);
        requirePositive("reportTimeout", reportTimeout);
        requirePositive("standbyLossTimeout", standbyLossTimeout);
        requirePositive("switchoverTimeout", switchoverTimeout);
        if (margin == null || margin.isNegative()) {
            throw new IllegalArgumentException("margin must be >= 0");
        }
        if (readLeaseTtl == null || readLeaseTtl.isNegative()) {
            throw new IllegalArgumentException("readLeaseTtl must be >= 0");
        }
        if (readLeaseTtl.compareTo(reportTimeout) > 0) {
            // A writer promoted from the standby reads on its read lease until its first write lease; if
            // it never reports, the arbiter may fail over back one report timeout after the promotion,
            // by when the read lease (granted before it) must have ended.
            throw new IllegalArgumentException("readLeaseTtl (" + readLeaseTtl.toMillis() + " ms) must not exceed reportTimeout ("
                    + reportTimeout.toMillis() + " ms)");
        }
        if (switchoverArchiveWait == null || switchoverArchiveWait.isNegative()) {
            throw new IllegalArgumentException("switchoverArchiveWait must be >= 0");
        }
        if (maxLagBytes < 0) {
            throw new IllegalArgumentException("maxLagBytes must be >= 0");
        }
    }

    /** Without read leases (rule 10 off), with the reference {@link Timing#SWITCHOVER_ARCHIVE_WAIT}. */
    public ArbiterConfig(List<SiteId> sites, Duration leaseTtl, Duration margin, Duration reportTimeout,
                         Duration standbyLossTimeout, long maxLagBytes, Duration switchoverTimeout) {
        this(sites, leaseTtl, margin, reportTimeout, standbyLossTimeout, maxLagBytes, switchoverTimeout, Duration.ZERO);
    }

    /** The same settings with read leases of {@code ttl} (zero: none). */
    public ArbiterConfig withReadLeaseTtl(Duration ttl) {
        return new ArbiterConfig(sites, leaseTtl, margin, reportTimeout, standbyLossTimeout, maxLagBytes, switchoverTimeout, ttl,
                switchoverArchiveWait);
    }

    /** The same settings with a switchover archive wait of {@code wait} (zero: none). */
    public ArbiterConfig withSwitchoverArchiveWait(Duration wait) {
        return new ArbiterConfig(sites, leaseTtl, margin, reportTimeout, standbyLossTimeout, maxLagBytes, switchoverTimeout,
                readLeaseTtl, wait);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    /** Every setting at its reference value ({@link Timing}), for {@code sites}. */
    public static ArbiterConfig defaults(List<SiteId> sites) {
        return new ArbiterConfig(sites, Timing.LEASE_TTL, Timing.MARGIN, Timing.REPORT_TIMEOUT, Timing.STANDBY_LOSS_TIMEOUT,
                Timing.MAX_LAG_BYTES, Timing.SWITCHOVER_TIMEOUT, Timing.READ_LEASE_TTL, Timing.SWITCHOVER_ARCHIVE_WAIT);
    }

    public SiteId other(SiteId site) {
        if (site.equals(sites.get(0))) {
            return sites.get(1);
        }
        if (site.equals(sites.get(1))) {
            return sites.get(0);
        }
        throw new IllegalArgumentException("unknown site '" + site + "', known: " + sites);
    }

    public boolean knows(SiteId site) {
        return sites.contains(site);
    }
}
