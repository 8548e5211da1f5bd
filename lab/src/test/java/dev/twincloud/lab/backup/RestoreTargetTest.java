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

    @Test
    void aRestorePointChoosesTheNewestBackupConsistentBeforeIt() {
        List<BaseBackup> all = List.of(first, second);
        assertThat(Restore.choose(GCS, all, new Restore.Target.Name("p", Instant.parse("2026-11-30T13:00:00Z")), NOW).id()).isEqualTo("A");
        assertThat(Restore.choose(GCS, all, new Restore.Target.Name("p", NOW), NOW).id()).isEqualTo("B");
        assertThatThrownBy(() -> Restore.choose(GCS, all, new Restore.Target.Name("p", Instant.parse("2026-11-30T11:00:00Z")), NOW))
                .isInstanceOf(BackupException.class).hasMessageContaining("restore point 'p'");
    }

    @Test
    void aHoleInTheArchiveIsFoundWhateverTheTimelinesAndCompressionSuffixes() {
        List<String> archive = List.of("000000010000000000000002.gz", "000000010000000000000002.00000028.backup.gz",
                "000000010000000000000003.gz", "000000010000000000000004.partial.gz", "00000002.history.gz",
                "000000020000000000000004.gz", "000000020000000000000006.gz", "0000000200000001000000FF.gz", "000000020000000200000000.gz");
        assertThat(WalArchive.holes(archive, "000000010000000000000002")).as("05, and all of log 1 but FF, missing; 04 is on both timelines")
                .startsWith("000000020000000000000005", "000000020000000000000007").hasSize(1 + (0xFF - 7 + 1) + 0xFF);
        assertThat(WalArchive.holes(List.of("000000010000000000000002", "000000010000000000000003.gz"), "000000010000000000000002")).isEmpty();
        assertThat(WalArchive.holes(List.of("000000010000000000000001.gz", "000000010000000000000003.gz", "000000010000000000000004.gz"),
                "000000010000000000000003")).as("segments before the backup do not count").isEmpty();
        assertThat(WalArchive.holes(List.of("000000010000000000000003.gz"), "000000010000000000000002"))
                .as("the backup's own first segment missing").containsExactly("000000010000000000000002");
        assertThat(WalArchive.holes(List.of(), "000000010000000000000002")).isEmpty();
    }

    @Test
    void recoveryThatEndedBeforeTheNewestSegmentOfItsTimelineIsCaught() {
        List<String> archive = List.of("000000010000000000000003.gz", "000000010000000000000004.gz", "000000010000000000000006.gz",
                "000000020000000000000009.gz", "000000010000000000000007.partial.gz");
        String log = "LOG:  redo done at 0/4000F28 system usage: ...\nLOG:  selected new timeline ID: 2\n";
        assertThat(Restore.endedEarly(GCS, log, archive)).get().asString().contains("ended at 0/4000F28 on timeline 1")
                .contains("000000010000000000000006.gz");
        assertThat(Restore.endedEarly(GCS, log.replace("0/4000F28", "0/5FFFFF0"), archive))
                .as("the last record may run into the next segment").isEmpty();
        assertThat(Restore.endedEarly(GCS, log.replace("ID: 2", "ID: 3"), archive)).as("on timeline 2, 09 is beyond 04").get().asString()
                .contains("000000020000000000000009.gz");
        assertThat(Restore.endedEarly(GCS, log.replace("ID: 2", "ID: 3").replace("0/4000F28", "0/9000F28"), archive))
                .as("timeline 2 replayed to its end").isEmpty();
        assertThat(Restore.endedEarly(GCS, "LOG:  selected new timeline ID: 2", archive)).as("no redo: nothing to compare").isEmpty();
    }

    @Test
    void theDrillComparesEveryEcgTableAndItsMetricsKeepTheLastSuccess(@org.junit.jupiter.api.io.TempDir Path tmp) {
        var sums = new java.util.LinkedHashMap<String, RestoreDrill.Sum>();
        RestoreDrill.TABLES.forEach(t -> sums.put(t, new RestoreDrill.Sum(3, "0123456789abcdef0123456789abcdef")));
        assertThat(RestoreDrill.compare(sums, sums)).isEmpty();
        var other = new java.util.LinkedHashMap<>(sums);
        other.put("ecg_lead", new RestoreDrill.Sum(3, "ffffffffffffffff0123456789abcdef"));
        other.remove("idempotency_key");
        assertThat(RestoreDrill.compare(sums, other)).hasSize(2).anyMatch(p -> p.startsWith("ecg_lead: writer at the restore point 3 rows"))
                .anyMatch(p -> p.startsWith("idempotency_key:") && p.endsWith("restored null"));
        assertThat(RestoreDrill.sumsQuery()).contains("FROM public.ecg_recording t", "FROM public.idempotency_key t").doesNotContain("created_at");

        var mark = new RestoreDrill.Mark("p", Lsn.parse("0/5000028"), NOW, "000000010000000000000005", sums);
        ObjectStore s3 = new ObjectStore("s3", SiteId.of("aws"), 7407, Path.of("target/none"));
        Path file = tmp.resolve("m/metrics.prom");
        RestoreDrill.writeMetrics(file, List.of(new RestoreDrill.Result(GCS, true, mark, "B", 2, 12.5, 31.25, sums, List.of(), java.util.Optional.empty()),
                new RestoreDrill.Result(s3, false, mark, "", 0, Double.NaN, Double.NaN, java.util.Map.of(), List.of("store s3 is unreachable"),
                        java.util.Optional.empty())));
        RestoreDrill.writeMetrics(file, List.of(new RestoreDrill.Result(GCS, false, mark, "", 0, Double.NaN, 1, java.util.Map.of(),
                List.of("x"), java.util.Optional.empty())));
        var m = RestoreDrill.readMetrics(file);
        assertThat(m).containsEntry("twincloud_restore_drill_last_run_success{store=\"gcs\"}", "0")
                .as("a failed drill keeps the last success's figures").containsEntry("twincloud_restore_drill_duration_seconds{store=\"gcs\"}", "12.500")
                .containsEntry("twincloud_restore_drill_rpo_seconds{store=\"gcs\"}", "31.250")
                .containsEntry("twincloud_restore_drill_last_run_success{store=\"s3\"}", "0")
                .doesNotContainKey("twincloud_restore_drill_duration_seconds{store=\"s3\"}");
    }
}
