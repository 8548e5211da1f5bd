package dev.twincloud.api.system;

import java.time.Duration;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health/reader}: UP while this site can serve reads itself right now — it is the
 * leased writer ({@link WriterHealth} UP), or its database is a standby whose WAL receiver is streaming
 * and whose last replayed commit is within {@code twincloud.api.reads.max-staleness} (the bound the
 * read fence applies, {@link ReadFence}). Answered from {@link WriterHealth}'s cached refresh (one
 * dedicated connection, every 100 ms), never from the request pool. The staleness stated is the one
 * the refresh measured plus the refresh's age, an over-estimate like the fence's. A read the fence
 * still refuses (or forwards) is possible when the answer ages; the edge only uses it to pick a site.
 * A site whose agent holds a read lease (docs/design.md rule 10, {@link ReadLease}) is UP as a standby
 * with staleness 0 while its database is in recovery, streaming or not, or a primary not yet leased
 * (just promoted): the read fence serves it on the lease.
 */
@Component
public class ReaderHealth {

    public static final String PATH = "/actuator/health/reader";

    /**
     * One answer.
     *
     * @param role        {@code writer} or {@code standby} when UP; the database's role or null when DOWN
     * @param reason      why DOWN; null when UP
     * @param stalenessMs a standby's bound on its data's age, counted to now; null otherwise
     * @param ageMs       how long ago the refresh it is based on was sent; -1 when there was none
     */
    public record Answer(boolean up, String role, String reason, Long stalenessMs, long ageMs) {
    }

    private final WriterHealth writer;
    private final Duration maxStaleness;
    private final ReadLease readLease;

    @Autowired
    ReaderHealth(WriterHealth writer, @Value("${twincloud.api.reads.max-staleness:1s}") Duration maxStaleness, ReadLease readLease) {
        this.writer = writer;
        this.maxStaleness = maxStaleness;
        this.readLease = readLease;
    }

    /** Without a read lease (tests). */
    ReaderHealth(WriterHealth writer, Duration maxStaleness) {
        this(writer, maxStaleness, null);
    }

    /** The current answer; never blocks. */
    public Answer answer() {
        return answer(writer.answer(), writer.snapshot(), writer.nanoTime());
    }

    /** The verdict on {@code s} at {@code now}: pure, for tests. */
    Answer answer(WriterHealth.Answer asWriter, WriterHealth.Snapshot s, long now) {
        if (asWriter.up()) {
            return new Answer(true, "writer", null, null, asWriter.ageMs());
        }
        if (s == null || s.error() != null) {
            return new Answer(false, null, asWriter.reason(), null, asWriter.ageMs());
        }
        long ageNanos = now - s.sentNanos();
        long ageMs = Duration.ofNanos(ageNanos).toMillis();
        if (ageNanos > writer.maxAge().toNanos()) {
            return new Answer(false, null, asWriter.reason(), null, ageMs);
        }
        if (readLease != null && readLease.holdsAt(now)) {
            return new Answer(true, "standby", null, 0L, ageMs);
        }
        if (!s.standby()) {
            return new Answer(false, "primary", "a primary that is not the leased writer: " + asWriter.reason(), null, ageMs);
        }
        // as the read fence: a running WAL receiver whose status this role may not see ("unknown") counts as streaming
        if (!"streaming".equals(s.receiverStatus()) && !"unknown".equals(s.receiverStatus())) {
            return new Answer(false, "standby", "a standby whose WAL receiver is "
                    + (s.receiverStatus() == null ? "not running" : s.receiverStatus()), null, ageMs);
        }
        if (s.replayAgeNanos() < 0) {
            return new Answer(false, "standby", "a standby that has replayed no transaction since it started", null, ageMs);
        }
        long stalenessMs = Duration.ofNanos(s.replayAgeNanos() + Math.max(0, ageNanos)).toMillis();
        if (stalenessMs > maxStaleness.toMillis()) {
            return new Answer(false, "standby", "a standby whose data may be up to " + stalenessMs
                    + " ms stale, beyond its bound of " + maxStaleness.toMillis() + " ms", stalenessMs, ageMs);
        }
        return new Answer(true, "standby", null, stalenessMs, ageMs);
    }
}
