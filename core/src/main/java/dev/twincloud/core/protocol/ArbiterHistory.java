package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The body of the arbiter's {@code GET /v1/history}: the last minutes of what the agents reported,
 * one sample per {@code resolutionMillis} (the newest report of each interval), oldest first, for
 * the status page's chart. Kept in memory only (a restarted or newly elected arbiter starts empty).
 * The component names are the JSON's field names; a field a newer arbiter adds is ignored by an
 * older reader.
 *
 * @param now              the arbiter's clock when it answered
 * @param resolutionMillis one sample per this many milliseconds of arbiter time
 * @param windowMillis     samples older than this are dropped
 * @param samples          oldest first
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ArbiterHistory(Instant now, long resolutionMillis, long windowMillis, List<Sample> samples) {

    public ArbiterHistory {
        Objects.requireNonNull(now, "now");
        samples = samples == null ? List.of() : List.copyOf(samples);
    }

    /**
     * What the arbiter knew at {@code at} (the arrival of the newest report of the interval).
     *
     * @param at                  arbiter time of the newest report in this sample
     * @param epoch               the epoch then
     * @param writer              the writer of that epoch
     * @param writerLsn           the writer's WAL position ({@link AgentReport#writeLsn()}, i.e.
     *                            {@code pg_current_wal_lsn()}) while it reported itself running as
     *                            primary with a fresh report; absent otherwise
     * @param writeBytesPerSecond WAL written per second since the previous sample
     *                            ({@code writerLsn} delta / time); absent when either position is
     *                            unknown or the position went back
     * @param lagBytes            per standby site name: bytes of WAL the writer has written and the
     *                            standby has not flushed (from the writer's {@code pg_stat_replication}
     *                            row, else from the standby's own received position); a site whose lag
     *                            is unknown (no fresh report) is left out
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Sample(Instant at, long epoch, SiteId writer, Optional<Lsn> writerLsn, Optional<Long> writeBytesPerSecond,
                         Map<String, Long> lagBytes) {
        public Sample {
            Objects.requireNonNull(at, "at");
            writerLsn = writerLsn == null ? Optional.empty() : writerLsn;
            writeBytesPerSecond = writeBytesPerSecond == null ? Optional.empty() : writeBytesPerSecond;
            lagBytes = lagBytes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(lagBytes));
        }

        /** This sample with the throughput since {@code previous} filled in (absent when it cannot be known). */
        public Sample after(Sample previous) {
            return new Sample(at, epoch, writer, writerLsn, throughput(previous, this), lagBytes);
        }

        private static Optional<Long> throughput(Sample before, Sample after) {
            long millis = after.at.toEpochMilli() - before.at.toEpochMilli();
            if (millis <= 0 || before.writerLsn.isEmpty() || after.writerLsn.isEmpty()
                    || after.writerLsn.get().compareTo(before.writerLsn.get()) < 0) {
                return Optional.empty();
            }
            long bytes = after.writerLsn.get().bytesAfter(before.writerLsn.get());
            return Optional.of(Math.round(bytes * 1000.0 / millis));
        }
    }
}
