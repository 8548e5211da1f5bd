package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class UuidV7Test {

    @Test
    void carriesVersion7VariantAndTheMillisecond() {
        Instant now = Instant.parse("2026-05-01T12:00:00.123Z");
        UUID id = new UuidV7(Clock.fixed(now, ZoneOffset.UTC)).generate();

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(now.toEpochMilli());
    }

    @Test
    void idsFromOneGeneratorStrictlyIncreaseEvenWithinOneMillisecond() {
        UuidV7 ids = new UuidV7(Clock.fixed(Instant.parse("2026-05-01T12:00:00Z"), ZoneOffset.UTC));
        UUID previous = ids.generate();
        for (int i = 0; i < 10_000; i++) { // more than the 12-bit counter: borrows later milliseconds
            UUID next = ids.generate();
            assertThat(Long.compareUnsigned(next.getMostSignificantBits(), previous.getMostSignificantBits())).isPositive();
            previous = next;
        }
    }
}
