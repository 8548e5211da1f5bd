package dev.twincloud.lab.drill;

import java.util.List;

/**
 * The recordings of one drill run as one site's database holds them at the end.
 *
 * @param site      the site
 * @param available false when its database could not be read (down, not re-joined)
 * @param role      {@code primary} or {@code standby}
 * @param rows      the run's recordings there
 */
public record DbSnapshot(String site, boolean available, String role, List<Row> rows) {
    /**
     * @param key         the Idempotency-Key the drill stored in {@code notes}
     * @param id          the recording id
     * @param writtenSite {@code written_site}: the site that committed it
     * @param commitMs    {@code pg_xact_commit_timestamp(xmin)} on the run's time axis (NaN when unknown)
     * @param bytes       sample bytes
     */
    public record Row(String key, String id, String writtenSite, double commitMs, long bytes) {
    }

    public static DbSnapshot unavailable(String site) {
        return new DbSnapshot(site, false, "down", List.of());
    }
}
