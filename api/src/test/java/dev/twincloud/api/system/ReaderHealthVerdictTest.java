package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.twincloud.api.system.WriterHealth.Snapshot;
import org.junit.jupiter.api.Test;

/** The reader verdict on a cached refresh, without a database: who may serve reads itself, and until when. */
class ReaderHealthVerdictTest {

    static final long MS = WriterHealthVerdictTest.MS;
    static final long T0 = WriterHealthVerdictTest.T0;

    final WriterHealth writer = WriterHealthVerdictTest.health(true);
    final ReaderHealth reader = new ReaderHealth(writer, Duration.ofSeconds(1));

    ReaderHealth.Answer at(Snapshot s, long now) {
        return reader.answer(writer.answer(s, now), s, now);
    }

    static Snapshot standby(String receiver, long replayAgeMs) {
        return new Snapshot(T0, true, "the lease belongs to site aws, this is site gcp", -1, null, false, receiver,
                replayAgeMs < 0 ? -1 : replayAgeMs * MS);
    }

    @Test
    void theLeasedWriterIsAReader() {
        var a = at(WriterHealthVerdictTest.primary(500), T0 + 10 * MS);
        assertThat(a.up()).isTrue();
        assertThat(a.role()).isEqualTo("writer");
    }

    @Test
    void aStreamingStandbyWithinItsBoundIsAReaderAndItsStalenessCountsTheRefreshAge() {
        var a = at(standby("streaming", 300), T0 + 200 * MS);
        assertThat(a.up()).isTrue();
        assertThat(a.role()).isEqualTo("standby");
        assertThat(a.stalenessMs()).isEqualTo(500);
        assertThat(at(standby("unknown", 300), T0).up()).as("a receiver whose status the role may not see").isTrue();
    }

    @Test
    void notAReader() {
        assertThat(at(standby("streaming", 900), T0 + 200 * MS).reason()).contains("beyond its bound of 1000 ms");
        assertThat(at(standby(null, 10), T0).reason()).contains("not running");
        assertThat(at(standby("waiting", 10), T0).up()).isFalse();
        assertThat(at(standby("streaming", -1), T0).reason()).contains("replayed no transaction");
        assertThat(at(standby("streaming", 10), T0 + 1500 * MS).up()).as("an old refresh (max-age 1 s)").isFalse();
        var fenced = at(new Snapshot(T0, false, "the lease of epoch 3 ended", -1, null), T0);
        assertThat(fenced.up()).isFalse();
        assertThat(fenced.role()).isEqualTo("primary");
        assertThat(at(Snapshot.failed(T0, "PSQLException: Connection refused"), T0).up()).isFalse();
        assertThat(at(null, T0).up()).isFalse();
    }

    /** docs/design.md rule 10: on a read lease, a standby not streaming (the writer lost) or a primary just promoted reads. */
    @Test
    void onAReadLeaseAStandbyThatCannotBoundItsStalenessOrAPrimaryNotYetLeasedIsAReaderUntilItEnds() throws Exception {
        long[] clock = {T0};
        var lease = new ReadLease("", Duration.ofMillis(100), tools.jackson.databind.json.JsonMapper.builder().build(), () -> clock[0]);
        var onLease = new ReaderHealth(writer, Duration.ofSeconds(1), lease);
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        lease.accept(T0 - 50 * MS, json.readTree("{\"site\":\"gcp\",\"epoch\":4,\"remainingMs\":300}"));
        Snapshot notStreaming = standby(null, 5000);
        Snapshot justPromoted = new Snapshot(T0, false, "no lease row of epoch 5 yet", -1, null);
        for (Snapshot s : new Snapshot[] {notStreaming, justPromoted}) {
            var a = onLease.answer(writer.answer(s, T0 + 200 * MS), s, T0 + 200 * MS);
            assertThat(a.up()).isTrue();
            assertThat(a.role()).isEqualTo("standby");
            assertThat(a.stalenessMs()).isZero();
            // counted from when the poll was sent (T0 - 50 ms): over at T0 + 250 ms
            assertThat(onLease.answer(writer.answer(s, T0 + 260 * MS), s, T0 + 260 * MS).up()).isFalse();
        }
        lease.accept(T0, json.readTree("{\"site\":\"gcp\",\"epoch\":4,\"remainingMs\":0}"));
        assertThat(lease.holdsAt(T0)).as("a void answer replaces the lease at once").isFalse();
        assertThat(onLease.answer(writer.answer(notStreaming, T0), notStreaming, T0).up()).isFalse();
    }
}
