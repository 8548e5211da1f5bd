package dev.twincloud.lab.backup;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * One base backup in a store, as {@code barman-cloud-backup-list --format json} describes it.
 *
 * @param id          barman's backup id
 * @param begin       when it started
 * @param end         when it ended: the earliest instant it can be restored to
 * @param beginWal    the first WAL segment it needs
 * @param endWal      the last WAL segment it needs
 * @param endLsn      the LSN from which it is consistent: the earliest LSN it can be restored to
 * @param timeline    the timeline it was taken on
 * @param fromStandby whether it was taken from a standby
 * @param status      barman's status ({@code DONE} when usable)
 */
public record BaseBackup(String id, Instant begin, Instant end, String beginWal, String endWal, long endLsn, int timeline,
                         boolean fromStandby, String status) {
    /** barman writes the times with Python's {@code ctime()}: no zone, in the database session's time zone. */
    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss yyyy", Locale.ENGLISH);

    static BaseBackup of(JsonNode b, ZoneId zone) {
        return new BaseBackup(b.path("backup_id").asString(), ctime(b.path("begin_time").asString(""), zone),
                ctime(b.path("end_time").asString(""), zone), b.path("begin_wal").asString(""), b.path("end_wal").asString(""),
                Lsn.parse(b.path("end_xlog").asString("0/0")), b.path("timeline").asInt(0),
                b.path("backup_label").asString("").contains("BACKUP FROM: standby"), b.path("status").asString(""));
    }

    static Instant ctime(String s, ZoneId zone) {
        if (s.isBlank()) {
            return Instant.EPOCH;
        }
        return LocalDateTime.parse(s.trim().replaceAll("\\s+", " "), CTIME).atZone(zone).toInstant();
    }

    public boolean usable() {
        return "DONE".equals(status);
    }
}
