package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.backup.BackupTools;
import dev.twincloud.lab.backup.BarmanCloud;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.lab.backup.ObjectStore;
import dev.twincloud.lab.backup.WalArchive;
import dev.twincloud.lab.cli.TwincloudCliTest;
import dev.twincloud.lab.supervisor.LabControlServer;
import dev.twincloud.lab.supervisor.LabLayout;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code lab recover} (issue 12's "done when"; docs/backups.md, "Both sites lost") on a real lab with its two
 * object stores (s3rver standing for GCS and S3) and Debian's barman-cloud: both sites lose their databases (killed,
 * data directories deleted), and the system comes back from one store alone. In {@code ./mvnw verify}, from {@code s3}:
 * site aws's archive, what aws archived as the cloned standby (the harder case: a clone's first segment is archived
 * partial, then complete). With {@code -Drecover.stores=gcs,s3}: first from {@code gcs} (site gcp's, the writer's),
 * then, both lost again, from {@code s3}, where aws, re-cloned by the first recovery, archives in a new generation
 * (SiteArchiveOnS3rverStandInTest checks the generations on their own): about 1.5 minutes more of a verify's CPU.
 * Each time: every write acknowledged before the store's last archived segment is there, the restored site writes in
 * a new epoch (a RESTORED event), the other site is re-cloned and eligible, and writes go through the edge again. A
 * refusal first: a site that still has its database is not recovered over. Base port 28400. Needs s3rver and
 * barman-cloud (skipped without them, except under CI).
 */
@ResourceLock("full-lab") // one whole lab at a time (junit-platform.properties)
class RecoverFromOneStoreLabTest {
    static LabHarness h;
    static LabControlServer control;
    static BarmanCloud barman;

    @BeforeAll
    static void up() throws Exception {
        Optional<BackupTools> tools = BackupTools.find();
        if (tools.isEmpty()) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(BackupTools.notFound());
            }
            Assumptions.abort(BackupTools.notFound());
        }
        barman = new BarmanCloud(tools.get());
        h = LabHarness.start("e2e-recover", 28400, s -> s.withBackups(true));
        assertThat(h.lab.backups()).isTrue();
        control = LabControlServer.start(h.lab); // as 'lab up' serves the lab's verbs: 'lab recover' is the operator's
    }

    @AfterAll
    static void down() {
        if (control != null) {
            control.close();
        }
        if (h != null) {
            h.close();
        }
    }

    @Test
    void bothSitesLostTheSystemComesBackFromOneStoreAlone() throws Exception {
        LabLayout layout = h.lab.layout();
        h.awaitSteady();
        TwincloudCliTest.Run refused = recover("gcs");
        assertThat(refused.exit()).as(refused.err()).isEqualTo(1);
        assertThat(refused.err()).contains("is not lost").contains("nothing was changed");
        TwincloudCliTest.Run unknown = TwincloudCliTest.run("lab", "recover", "--store", "azure", "--root=" + layout.root(),
                "--base-port=" + layout.basePort());
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown store 'azure'");

        for (String name : List.of(System.getProperty("recover.stores", "s3").split(","))) {
            ObjectStore store = ObjectStore.of(name, layout);
            SiteId restoredSite = store.site();
            h.awaitSteady();
            // a base backup in the store's current generation (after the first recovery, aws is a re-cloned site that
            // archives under a new name: docs/backups.md), then acknowledged writes, then their segment in the store
            LabBackups.backup(layout, barman, store);
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                LabClient.Write w = h.edge.write("p-recover-" + name);
                if (w.ok()) {
                    acked.add(w.id());
                }
            }
            assertThat(acked).hasSizeGreaterThan(10);
            h.switchWal(h.writer());
            // and the segment after it: a re-cloned standby archives the segment its copy ended in before it is complete
            // (under its full name), then again once it is; the archiver ships in order, so the next segment in the store
            // means the complete one is there too (docs/backups.md, "A re-cloned site's first segment")
            assertThat(h.edge.write("p-recover-next-" + name).ok()).isTrue();
            String segment = h.switchWal(h.writer());
            ObjectStore current = LabBackups.current(layout, store);
            LabHarness.await(segment + " in store " + name, Duration.ofSeconds(90),
                    () -> WalArchive.list(current, LabBackups.serverName(current), "").stream().anyMatch(f -> f.startsWith(segment)));
            long epochBefore = h.epoch();

            for (SiteId s : LabLayout.SITES) {
                h.lab.kill(s.name());
            }
            for (SiteId s : LabLayout.SITES) {
                LabHarness.deleteTree(layout.pgData(s));
            }
            TwincloudCliTest.Run r = recover(name);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("\"writer\" : \"" + restoredSite + "\"").contains("\"store\" : \"" + name + "\"");

            assertThat(h.writer()).isEqualTo(restoredSite);
            assertThat(h.epoch()).isGreaterThan(epochBefore);
            assertThat(h.eventKinds()).contains(EventKind.RESTORED);
            assertThat(h.recordingIds(restoredSite)).as("writes acknowledged before the last archived segment, from "
                    + name + " alone").containsAll(acked);
            SiteId standby = LabLayout.peer(restoredSite);
            LabHarness.await("the edge takes writes again", Duration.ofSeconds(60), () -> h.edge.write("p-after-" + name).ok());
            h.awaitSteady();
            assertThat(h.recordingIds(standby)).as("the re-cloned " + standby + " has them too").containsAll(acked);
            // the new timeline reaches the restored site's own store: a later restore from it can follow the fork
            String history = "%08X.history".formatted(timeline(restoredSite));
            ObjectStore now = LabBackups.current(layout, store);
            LabHarness.await(history + " in store " + name, Duration.ofSeconds(60),
                    () -> WalArchive.list(now, LabBackups.serverName(now), "").stream().anyMatch(f -> f.startsWith(history)));
        }
    }

    private static TwincloudCliTest.Run recover(String store) {
        Path root = h.lab.layout().root();
        return TwincloudCliTest.run("lab", "recover", "--store", store, "--root=" + root, "--base-port=" + h.lab.layout().basePort());
    }

    private static int timeline(SiteId site) throws SQLException {
        try (Connection c = h.db(site); var s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
