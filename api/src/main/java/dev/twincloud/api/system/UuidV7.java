package dev.twincloud.api.system;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Ids sort by creation
 * time, which keeps the primary-key index append-mostly. Within one millisecond the 12-bit
 * {@code rand_a} field is a counter (RFC 9562 section 6.2, method 1), so ids from one process are
 * strictly increasing.
 */
public final class UuidV7 {

    private static final UuidV7 SYSTEM = new UuidV7(Clock.systemUTC());

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private int sequence;

    public UuidV7(Clock clock) {
        this.clock = clock;
    }

    public static UUID next() {
        return SYSTEM.generate();
    }

    public synchronized UUID generate() {
        long millis = clock.millis();
        if (millis > lastMillis) {
            lastMillis = millis;
            sequence = random.nextInt(1 << 11); // start in the lower half: room to count up
        } else if (++sequence > 0xFFF) {
            lastMillis++; // counter exhausted (or the clock went back): borrow the next millisecond
            sequence = 0;
        }
        long msb = (lastMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | sequence;
        long lsb = random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }
}
