package dev.twincloud.pgctl.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A ready-made synchronous primary/standby pair for tests that need real streaming replication. */
class ReplicatedPostgresExtensionTest {
    @RegisterExtension
    static ReplicatedPostgresExtension pair = ReplicatedPostgresExtension.create().standbyName("aws").sync(true);

    @Test
    void aCommittedWriteOnThePrimaryIsReadableOnTheSyncStandby() {
        pair.primary().execute("CREATE TABLE ecg(id int)");
        pair.primary().execute("INSERT INTO ecg VALUES (7)");
        pair.pair().awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(pair.standby().queryString("SELECT id FROM ecg")).isEqualTo("7");
        assertThat(pair.primary().show("synchronous_standby_names")).isEqualTo("FIRST 1 (aws)");
    }
}
