package dev.twincloud.lab.drill;

/** One violation of what twincloud promises, found in a run's history and databases. */
public record Anomaly(Kind kind, String detail, double atMs) {
    public enum Kind {
        /** an acknowledged write is missing from the writer's database (sync mode) */
        LOST_WRITE,
        /** a site committed or acknowledged a write while another site held the writer's epoch */
        SPLIT_BRAIN,
        /** one Idempotency-Key took effect more than once */
        DUPLICATE,
        /** a read served by the writer did not see a write acknowledged before it (sync mode) */
        STALE_READ,
        /**
         * read-local (sync mode): a client read a key it had itself acknowledged and got 404, or a read answered with a
         * {@code Twincloud-Lsn} below the {@code Twincloud-Min-Lsn} the client sent (on the same writer timeline)
         */
        READ_YOUR_WRITES,
        /**
         * read-local (sync mode): one client's successive successful reads went backwards in {@code Twincloud-Lsn} with no
         * promotion between them
         */
        MONOTONIC_READ,
        /** async mode: more acknowledged data lost than the configured bound */
        ASYNC_LOSS_OVER_BOUND,
        /**
         * the edge itself answered 503 (no healthy backend, {@code Twincloud-Edge}) in a run where no fault
         * may take the writer away (scenario {@code load}): the health check flapped under load
         */
        EDGE_UNAVAILABLE,
        /**
         * scenario {@code restore}: a store's restore at the writer's restore point failed, or differed from the writer at
         * that point, or lacked a write acknowledged before it
         */
        RESTORE_FAILED
    }
}
