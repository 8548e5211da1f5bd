package dev.twincloud.lab.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.protocol.SiteId;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which base backup a restore target needs, WAL positions, and barman's times: no tools, no servers. */
class RestoreTargetTest {
    private static final ObjectStore GCS = new ObjectStore("gcs", SiteId.of("gcp"), 7406, Path.of("target/none"));
    private static final Instant NOW = Instant.parse("2026-11-30T16:00:00Z");
    private final BaseBackup first = backup("A", "2026-11-30T12:00:00Z", "0/3000100");
    private final BaseBackup second = backup("B", "2026-11-30T14:00:00Z", "0/9000100");
    private final BaseBackup failed = new BaseBackup("C", NOW.minusSeconds(60), NOW.minusSeconds(30), "", "", Lsn.parse("0/F000000"), 1, true, "FAILED");

    @Test
    void theNewestBackupConsistentBeforeTheTargetIsChosen() {
        List<BaseBackup> all = List.of(second, first, failed);
        assertThat(Restore.choose(GCS, all, new Restore.Target.Latest(), NOW).id()).as("a failed backup is never used").isEqualTo("B");
        assertThat(Restore.choose(GCS, all, new Restore.Target.Time(Instant.parse("2026-11-30T13:00:00Z")), NOW).id()).isEqualTo("A");
        assertThat(Restore.choose(GCS, all, new Restore.Target.Time(second.end()), NOW).id()).as("its end is enough").isEqualTo("B");
        assertThat(Restore.choose(GCS, all, new Restore.Target.Position(Lsn.parse("0/8FFFFFF")), NOW).id()).isEqualTo("A");
        assertThat(Restore.choose(GCS, all, new Restore.Target.Position(Lsn.parse("1/0")), NOW).id()).isEqualTo("B");
    }

    @Test
    void targetsNoBackupCanReachAreRefusedWithTheOldestBackupNamed() {
        List<BaseBackup> all = List.of(first, second);
        assertThatThrownBy(() -> Restore.choose(GCS, all, new Restore.Target.Time(Instant.parse("2026-11-30T11:59:59Z")), NOW))
                .isInstanceOf(BackupException.class).hasMessageContaining("is before the oldest base backup in store gcs (A, consistent from 2026-11-30T12:00:00Z)");
        assertThatThrownBy(() -> Restore.choose(GCS, all, new Restore.Target.Position(Lsn.parse("0/3000000")), NOW))
                .hasMessageContaining("--to-lsn 0/3000000 is before the oldest base backup in store gcs (A, consistent from 0/3000100)");
        assertThatThrownBy(() -> Restore.choose(GCS, all, new Restore.Target.Time(NOW.plusSeconds(1)), NOW))
                .hasMessageContaining("is in the future");
        assertThatThrownBy(() -> Restore.choose(GCS, List.of(), new Restore.Target.Latest(), NOW))
                .hasMessageContaining("store gcs has no base backup of site gcp: take one with 'twincloud lab backup'");
        assertThatThrownBy(() -> Restore.choose(GCS, List.of(failed), new Restore.Target.Latest(), NOW))
                .hasMessageContaining("no base backup of site gcp that completed");
    }

    @Test
    void walPositionsAndSegmentsFollowPostgresql() {
        assertThat(Lsn.parse("0/802E208")).isEqualTo(0x802E208L);
        assertThat(Lsn.parse("1/0")).isEqualTo(1L << 32);
        assertThat(Lsn.format(0x1_0300_0060L)).isEqualTo("1/3000060");
        assertThat(Lsn.endOfSegment("000000010000000000000005")).as("segment 5 ends where 6 begins").isEqualTo(Lsn.parse("0/6000000"));
        assertThat(Lsn.endOfSegment("0000000200000001000000FF")).isEqualTo(Lsn.parse("2/0"));
        assertThatThrownBy(() -> Lsn.parse("12345")).hasMessageContaining("'12345' is not a WAL position");
        assertThatThrownBy(() -> Lsn.parse("0/xyz")).hasMessageContaining("is not a WAL position");
    }

    @Test
    void barmansCtimeIsReadInTheDatabasesZone() {
        assertThat(BaseBackup.ctime("Mon Nov 30 14:59:28 2026", ZoneOffset.UTC)).isEqualTo(Instant.parse("2026-11-30T14:59:28Z"));
        assertThat(BaseBackup.ctime("Tue Dec  1 01:02:03 2026", ZoneOffset.ofHours(1))).as("ctime pads the day with a space")
                .isEqualTo(Instant.parse("2026-12-01T00:02:03Z"));
        assertThat(Restore.PG_TIME.format(Instant.parse("2026-11-30T15:04:05.123456Z"))).as("not ISO's T: PostgreSQL refuses it here")
                .isEqualTo("2026-11-30 15:04:05.123456+00");
    }

    private static BaseBackup backup(String id, String end, String endLsn) {
        Instant e = Instant.parse(end);
        return new BaseBackup(id, e.minusSeconds(30), e, "", "", Lsn.parse(endLsn), 1, false, "DONE");
    }
}
