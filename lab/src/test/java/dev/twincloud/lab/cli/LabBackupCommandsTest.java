package dev.twincloud.lab.cli;

import static dev.twincloud.lab.cli.TwincloudCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.backup.BackupTools;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code lab backup}, {@code lab backups}, {@code lab restore}: help, and bad input refused with a message and a non-zero exit. */
class LabBackupCommandsTest {
    private static final String[] NO_LAB = {"--root", "target/cli-test-lab", "--base-port", "19900"};

    @Test
    void eachVerbHasHelp() {
        for (String verb : new String[] {"backup", "backups", "restore", "restore-drill"}) {
            TwincloudCliTest.Run r = run("lab", verb, "--help");
            assertThat(r.exit()).as(verb).isZero();
            assertThat(r.out()).as(verb).contains("Usage:");
        }
        assertThat(run("lab", "restore", "--help").out()).contains("--to-time").contains("--to-lsn").contains("--latest").contains("DIR.partial");
        assertThat(run("lab", "restore-drill", "--help").out()).contains("--store").contains("--switch-wal").contains("restore point")
                .contains("metrics.prom");
    }

    @Test
    void badArgumentsExitWith2BeforeAnythingRuns() {
        TwincloudCliTest.Run unknown = run(with("lab", "restore", "--store", "gcp", "--into", "target/never"));
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown store 'gcp'").contains("gcs, s3");
        TwincloudCliTest.Run all = run(with("lab", "restore", "--store", "all", "--into", "target/never"));
        assertThat(all.exit()).isEqualTo(2);
        assertThat(all.err()).contains("name one store, gcs or s3");
        TwincloudCliTest.Run time = run(with("lab", "restore", "--store", "gcs", "--to-time", "yesterday", "--into", "target/never"));
        assertThat(time.exit()).isEqualTo(2);
        assertThat(time.err()).contains("'yesterday' is not an ISO instant");
        TwincloudCliTest.Run lsn = run(with("lab", "restore", "--store", "gcs", "--to-lsn", "12345", "--into", "target/never"));
        assertThat(lsn.exit()).isEqualTo(2);
        assertThat(lsn.err()).contains("'12345' is not a WAL position");
        TwincloudCliTest.Run two = run(with("lab", "restore", "--store", "gcs", "--latest", "--to-lsn", "0/1", "--into", "target/never"));
        assertThat(two.exit()).isEqualTo(2);
        assertThat(two.err()).contains("mutually exclusive");
        TwincloudCliTest.Run noInto = run(with("lab", "restore", "--store", "gcs"));
        assertThat(noInto.exit()).isEqualTo(2);
        assertThat(noInto.err()).contains("--into");
        TwincloudCliTest.Run drillStore = run(with("lab", "restore-drill", "--store", "gcp"));
        assertThat(drillStore.exit()).isEqualTo(2);
        assertThat(drillStore.err()).contains("unknown store 'gcp'");
        TwincloudCliTest.Run backupStore = run(with("lab", "backup", "--store", "azure"));
        assertThat(backupStore.exit()).isEqualTo(2);
        assertThat(backupStore.err()).contains("unknown store 'azure'");
    }

    @Test
    void aLabWithoutItsStoresIsReportedUnreachable() {
        Assumptions.assumeTrue(BackupTools.find().isPresent(), BackupTools.notFound());
        TwincloudCliTest.Run r = run(with("lab", "backups", "--store", "s3"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("store s3 (http://127.0.0.1:19907").contains("is unreachable")
                .contains("aws's PostgreSQL (port 19920) does not answer");
        TwincloudCliTest.Run restore = run(with("lab", "restore", "--store", "gcs", "--into", "target/never-restored"));
        assertThat(restore.exit()).isEqualTo(1);
        assertThat(restore.err()).contains("store gcs (http://127.0.0.1:19906) is unreachable");
        assertThat(java.nio.file.Path.of("target/never-restored")).doesNotExist();
        assertThat(r.out()).contains("restore drill: never run");
        TwincloudCliTest.Run drill = run(with("lab", "restore-drill"));
        assertThat(drill.exit()).isEqualTo(1);
        assertThat(drill.err()).contains("no writer's database to make the restore point on").contains("port 19920");
    }

    @Test
    void theRestoreDrillScenarioIsRefusedWithoutBackupsBeforeALabStarts() {
        Assumptions.assumeFalse(dev.twincloud.lab.backup.LabBackups.enabled(), "TWINCLOUD_LAB_BACKUPS is on here");
        TwincloudCliTest.Run r = run("lab", "drill", "--scenario", "restore", "--root", "target/cli-test-drill-never", "--base-port", "19950");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("scenario restore needs a drill lab with backups").contains("TWINCLOUD_LAB_BACKUPS=on");
        assertThat(java.nio.file.Path.of("target/cli-test-drill-never")).doesNotExist();
    }

    private static String[] with(String... args) {
        String[] all = new String[args.length + NO_LAB.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(NO_LAB, 0, all, args.length, NO_LAB.length);
        return all;
    }
}
