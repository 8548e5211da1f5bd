package dev.twincloud.lab.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code lab up}'s schedule of base backups, with the backup itself replaced by a stand-in (the real one,
 * {@link LabBackups#backup}, is what {@code lab backup} runs: RecoverFromOneStoreLabTest and the drill's restore
 * scenario take real ones): every store in each round, in order; one store's failure neither stops the others nor
 * the schedule; rounds never overlap; nothing runs after close.
 */
class BackupScheduleTest {
    static final ObjectStore GCS = new ObjectStore("gcs", SiteId.of("gcp"), 1, Path.of("target/none"));
    static final ObjectStore S3 = new ObjectStore("s3", SiteId.of("aws"), 2, Path.of("target/none"));

    static BaseBackup backup(String id, boolean standby) {
        return new BaseBackup(id, Instant.now(), Instant.now(), "000000010000000000000002", "000000010000000000000002", 0, 1,
                standby, "DONE");
    }

    @Test
    void everyRoundBacksUpEachStoreAndAFailedStoreIsTriedAgainWithoutStoppingTheOther() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        List<String> log = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlapped = new AtomicInteger();
        Function<ObjectStore, BaseBackup> fake = s -> {
            if (running.incrementAndGet() > 1) {
                overlapped.incrementAndGet();
            }
            try {
                calls.add(s.name());
                sleep(30); // a backup takes a while: the next round must wait for it
                if (s == GCS) {
                    throw new BackupException("store gcs (http://127.0.0.1:1) is unreachable");
                }
                return backup("20261201T1200" + calls.size(), true);
            } finally {
                running.decrementAndGet();
            }
        };
        try (BackupSchedule schedule = BackupSchedule.start(List.of(GCS, S3), fake, Duration.ZERO, Duration.ofMillis(50), log::add)) {
            Await.until("three rounds of two backups", Duration.ofSeconds(30), () -> calls.size() >= 6);
            assertThat(schedule.last().get("s3").backup()).isPresent();
            assertThat(schedule.last().get("gcs").error()).hasValueSatisfying(e -> assertThat(e).contains("unreachable"));
        }
        assertThat(calls.subList(0, 6)).as("both stores each round, in order").containsExactly("gcs", "s3", "gcs", "s3", "gcs", "s3");
        assertThat(overlapped).as("never two backups at once").hasValue(0);
        assertThat(log).anySatisfy(l -> assertThat(l).startsWith("scheduled base backup: store s3, backup 20261201T1200")
                .contains("of site aws (from the standby)"));
        assertThat(log).anySatisfy(l -> assertThat(l).isEqualTo(
                "scheduled base backup into store gcs failed: store gcs (http://127.0.0.1:1) is unreachable (tried again in 0.05s)"));
        int after = calls.size();
        sleep(300);
        assertThat(calls).as("nothing after close").hasSize(after);
    }

    @Test
    void theFirstRoundWaitsForItsDelay() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        try (BackupSchedule ignored = BackupSchedule.start(List.of(GCS), s -> {
            calls.add(s.name());
            return backup("b", false);
        }, Duration.ofHours(1), Duration.ofHours(6), m -> { })) {
            sleep(300);
            assertThat(calls).isEmpty();
        }
        assertThatThrownBy(() -> BackupSchedule.start(List.of(GCS), s -> backup("b", false), Duration.ZERO, Duration.ZERO, m -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
