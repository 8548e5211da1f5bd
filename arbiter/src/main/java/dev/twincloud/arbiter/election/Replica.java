package dev.twincloud.arbiter.election;

import dev.twincloud.arbiter.service.OpenArbiter;
import org.slf4j.Logger;

/** What the two elections ({@link ElectedArbiter}, {@link EtcdElectedArbiter}) say and do alike. */
final class Replica {

    private Replica() {
    }

    /** The line for logs, status and the health endpoint; {@code where} names the lock. */
    static String describe(String identity, boolean acting, String leader, String where) {
        if (acting) {
            return "this replica (" + identity + ") is the elected arbiter (" + where + ")";
        }
        return "this replica (" + identity + ") is not the elected arbiter; "
                + (leader.isEmpty() ? "no leader is known yet" : "the leader is " + leader) + " (" + where + ")";
    }

    /** Closes the arbiter of a replica that stops acting (records nothing: it may not act any more). */
    static void closeStepping(OpenArbiter a, String identity, String why, Logger log) {
        log.warn("{} stops acting as the arbiter: {}", identity, why);
        try {
            a.close();
        } catch (RuntimeException e) {
            log.warn("closing the arbiter's state after stepping down: {}", e.toString());
        }
    }

    /** Sleeps; false when interrupted (the interrupt is kept). */
    static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
