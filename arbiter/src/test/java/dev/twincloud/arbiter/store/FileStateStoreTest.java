package dev.twincloud.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.ReportOrder;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest {

    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final ArbiterConfig CONFIG = new ArbiterConfig(List.of(GCP, AWS), Duration.ofMillis(2500), Duration.ofMillis(250),
            Duration.ofMillis(1500), Duration.ofMillis(1000), 1 << 20, Duration.ofSeconds(10));

    @TempDir
    Path dir;

    @Test
    void storesTheInitialStateOnFirstStart() {
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            DurableState s = store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            assertThat(s.epoch()).isEqualTo(1);
            assertThat(dir.resolve(FileStateStore.STATE_FILE)).exists();
        }
    }

    @Test
    void loadsWhatItStoredWhole() {
        var switching = new DurableState(7, AWS, Durability.ASYNC, true, true,
                Optional.of(new DurableState.Switchover(AWS, GCP, Instant.parse("2026-11-28T12:00:00.123456789Z"))),
                42, 6, true);
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            store.save(switching);
        }
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThat(store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC))).isEqualTo(switching);
        }
        assertThat(dir.resolve(FileStateStore.TEMP_FILE)).doesNotExist();
    }

    @Test
    void storesASwitchoverInItsArchiveWaitAndLoadsOneFromBeforeTheWaitAsFencingFromItsStart() throws IOException {
        Instant start = Instant.parse("2026-11-28T12:00:00Z");
        var waiting = new DurableState(7, AWS, Durability.SYNC, true, true,
                Optional.of(new DurableState.Switchover(AWS, GCP, start, new ReportOrder(1764400000123L, 77), true, start)),
                42, 7, false);
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            store.save(waiting);
        }
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThat(store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC))).isEqualTo(waiting);
        }
        // written by an arbiter without the wait: it had told the old writer to fence at the start
        Files.writeString(dir.resolve(FileStateStore.STATE_FILE), """
                {"format":1,"state":{"epoch":3,"writer":"aws","mode":"SYNC","writerSync":true,"standbyEligible":true,
                 "switchover":{"from":"aws","to":"gcp","startedAt":"2026-11-28T12:00:00Z"},"systemId":42,"leaseEpoch":3,
                 "leaseReleased":false}}""");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            var sw = store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)).switchover().orElseThrow();
            assertThat(sw.awaitingArchive()).as("fencing, as that arbiter told it").isFalse();
            assertThat(sw.fencingSince()).isEqualTo(start);
            assertThat(sw.writerAt()).isEqualTo(ReportOrder.NONE);
        }
    }

    @Test
    void storesTheBarrierAndTheHeardPlacesOfEachSite() {
        var s = new DurableState(4, AWS, Durability.ASYNC, false, false, Optional.empty(), 42, 4, false,
                new ReportOrder(1764400000123L, 77), Map.of(AWS, new ReportOrder(1764400000123L, 109),
                GCP, new ReportOrder(1764400000456L, 3)));
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            store.save(s);
        }
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            DurableState loaded = store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            assertThat(loaded).isEqualTo(s);
            assertThat(loaded.heardOf(AWS)).isEqualTo(new ReportOrder(1764400000123L, 109));
        }
    }

    @Test
    void aStateFileFromBeforeTheBarrierLoadsWithTheBarrierUnknownAndNothingHeard() throws IOException {
        Files.writeString(dir.resolve(FileStateStore.STATE_FILE), """
                {"format":1,"savedAt":"2026-11-28T12:00:00Z","state":{"epoch":3,"writer":"aws","mode":"ASYNC",
                 "writerSync":false,"standbyEligible":false,"switchover":null,"systemId":42,"leaseEpoch":3,
                 "leaseReleased":false}}""");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            DurableState loaded = store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            assertThat(loaded.epoch()).isEqualTo(3);
            assertThat(loaded.barrier()).isEqualTo(ReportOrder.UNKNOWN);
            assertThat(loaded.heard()).isEmpty();
            store.save(loaded);
        }
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThat(store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)).barrier())
                    .as("still unknown once stored again in the new format").isEqualTo(ReportOrder.UNKNOWN);
        }
    }

    @Test
    void refusesAHeardPlaceOfAnUnknownSite() throws IOException {
        Files.writeString(dir.resolve(FileStateStore.STATE_FILE), """
                {"format":1,"state":{"epoch":3,"writer":"aws","mode":"ASYNC","writerSync":false,"standbyEligible":false,
                 "switchover":null,"systemId":42,"leaseEpoch":3,"leaseReleased":false,
                 "barrier":{"incarnation":5,"sequence":9},"heard":{"azure":{"incarnation":5,"sequence":40}}}}""");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThatThrownBy(() -> store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)))
                    .isInstanceOf(StartupRefused.class)
                    .hasMessageContaining("heard places name sites that are not configured: [azure]");
        }
    }

    @Test
    void refusesToStartOnACorruptStateFile() throws IOException {
        Files.writeString(dir.resolve(FileStateStore.STATE_FILE), "{\"format\":1,\"state\":{\"epoch\":3,\"wri");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThatThrownBy(() -> store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)))
                    .isInstanceOf(StartupRefused.class)
                    .hasMessageContaining("the state file " + dir.resolve(FileStateStore.STATE_FILE).toAbsolutePath())
                    .hasMessageContaining("is corrupt or unusable: it is not valid state JSON")
                    .satisfies(e -> assertThat(((StartupRefused) e).action()).contains("Restore state.json"));
        }
        assertThat(Files.readString(dir.resolve(FileStateStore.STATE_FILE))).as("never overwritten").contains("\"epoch\":3");
    }

    @Test
    void refusesAStateFileThatDoesNotFitTheConfiguredSites() throws IOException {
        Files.writeString(dir.resolve(FileStateStore.STATE_FILE), """
                {"format":1,"state":{"epoch":3,"writer":"azure","mode":"SYNC","writerSync":false,"standbyEligible":false,
                 "switchover":null,"systemId":0,"leaseEpoch":3,"leaseReleased":false}}""");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThatThrownBy(() -> store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)))
                    .isInstanceOf(StartupRefused.class)
                    .hasMessageContaining("writer 'azure' is not one of the configured sites [gcp, aws]");
        }
    }

    @Test
    void refusesAnEmptyStateFile() throws IOException {
        Files.writeString(dir.resolve(FileStateStore.STATE_FILE), "");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThatThrownBy(() -> store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)))
                    .isInstanceOf(StartupRefused.class).hasMessageContaining("corrupt");
        }
    }

    @Test
    void ignoresASaveThatWasInterruptedBeforeItsRename() throws IOException {
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            store.loadOrCreate(() -> DurableState.initial(AWS, Durability.ASYNC));
        }
        Files.writeString(dir.resolve(FileStateStore.TEMP_FILE), "{\"format\":1,\"sta");
        try (FileStateStore store = FileStateStore.open(dir, CONFIG)) {
            assertThat(store.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC)).writer()).isEqualTo(AWS);
        }
        assertThat(dir.resolve(FileStateStore.TEMP_FILE)).doesNotExist();
    }

    @Test
    void refusesASecondArbiterOnTheSameDirectory() {
        try (FileStateStore first = FileStateStore.open(dir, CONFIG)) {
            assertThatThrownBy(() -> FileStateStore.open(dir, CONFIG))
                    .isInstanceOf(StartupRefused.class).hasMessageContaining("another arbiter is using the state directory");
        }
        FileStateStore.open(dir, CONFIG).close(); // released on close
    }

    @Test
    void aSharedStoreRefusesToOverwriteAStateAnotherReplicaStored() {
        FileStateStore old = FileStateStore.openShared(dir, CONFIG);
        FileStateStore next = FileStateStore.openShared(dir, CONFIG); // no file lock: the election is the lock
        DurableState first = old.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
        DurableState loaded = next.loadOrCreate(() -> DurableState.initial(AWS, Durability.SYNC));
        assertThat(loaded).isEqualTo(first);
        DurableState async = new DurableState(first.epoch(), GCP, Durability.ASYNC, first.writerSync(),
                first.standbyEligible(), Optional.empty(), first.systemId(), first.leaseEpoch(), first.leaseReleased());
        next.save(async);

        var stale = new DurableState(first.epoch() + 1, AWS, Durability.SYNC, false, false, Optional.empty(), 0, 0, false);
        assertThatThrownBy(() -> old.save(stale)).isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("changed by another arbiter replica");
        try (FileStateStore check = FileStateStore.open(dir, CONFIG)) {
            assertThat(check.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC))).isEqualTo(async);
        }
        next.save(first); // the replica that stored last may go on
    }
}
