package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.LabLayout;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The lab of a newcomer with a JDK and nothing else: PostgreSQL from the embedded binaries on Maven
 * Central (forced, as {@code TWINCLOUD_PG_BINARIES=embedded} does), which have no pg_basebackup and no
 * pg_rewind. The standby is cloned with the low-level
 * backup API; after the writer is killed and failed over, the old writer re-joins by re-cloning.
 *
 * <p>Not in {@code ./mvnw verify} since 2026-12-01 (42 s of a verify that came within 6 s of its 25 minutes):
 * {@code ./mvnw -B -ntp -pl lab test -Dtest=EmbeddedBinariesLabTest -Dlab.embedded=true} (after {@code install
 * -DskipTests}). What stays in verify: the binaries' unpacking (BinaryLocatorTest) and the low-level-backup clone
 * on the system binaries (ReplicationTest) — not a lab on the embedded server.
 */
@ResourceLock("full-lab") // one whole lab at a time (junit-platform.properties)
@EnabledIfSystemProperty(named = "lab.embedded", matches = "true")
class EmbeddedBinariesLabTest {

    static LabHarness h;

    @BeforeAll
    static void up() throws Exception {
        h = LabHarness.start("e2e-embedded", 29400, s -> s.withBinaries(dev.twincloud.pgctl.PgBinaries.embedded()));
    }

    @AfterAll
    static void down() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void embeddedPostgresLabFailsOverAndTheOldWriterRejoinsByRecloning() throws Exception {
        SiteId w = h.awaitSteady();
        SiteId s = LabLayout.peer(w);
        try (Connection c = h.db(w); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT current_setting('server_version_num')::int")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the embedded PostgreSQL 17, not the system's 15").isGreaterThanOrEqualTo(170000);
        }
        long epoch = h.epoch();
        try (var load = new LabHarness.Load(h.edge, "p-embedded", 20)) {
            LabHarness.sleep(500);
            long t0 = System.nanoTime();
            h.lab.kill(w.name());
            LabHarness.await("a write acknowledged by " + s, Duration.ofSeconds(30),
                    () -> load.attempts.stream().anyMatch(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0));
            LabHarness.sleep(300);
            load.close();
            h.assertNoAcknowledgedWriteLost(load, s);
        }
        assertThat(h.epoch()).isEqualTo(epoch + 1);
        h.lab.revive(w.name());
        assertThat(h.awaitSteady()).as("the old writer back as an in-sync standby").isEqualTo(s);
        assertThat(h.recordingIds(w)).as("the re-cloned standby has the new writer's data").containsAll(h.recordingIds(s));
        String agentLog = java.nio.file.Files.readString(h.lab.layout().logs().resolve(w.name() + "-agent.log"));
        assertThat(agentLog).as("re-joined by re-cloning (no pg_rewind in the embedded binaries)").containsIgnoringCase("re-clon");
    }
}
