package dev.twincloud.edge;

/** Checks one backend once. Implementations must return within the configured timeout. */
@FunctionalInterface
public interface Prober {

    /**
     * Outcome of one probe; {@code detail} is for logs (status code or error).
     *
     * @param ok         the backend is the writer (HTTP 200)
     * @param definitive a failure the backend itself answered for certain — HTTP 503 with
     *                   {@value HttpProber#VERDICT_HEADER}{@code : not-writer}: its database said it is a
     *                   standby or holds no valid lease — as opposed to a slow or failed probe (timeout,
     *                   connection error, any other status). Always false when {@code ok}.
     */
    record Result(boolean ok, boolean definitive, String detail) {
        public Result {
            if (ok && definitive) {
                throw new IllegalArgumentException("a definitive result is a failure");
            }
        }

        /** A success, or a failure that is not definitive. */
        public Result(boolean ok, String detail) {
            this(ok, false, detail);
        }

        /** The backend answered for certain that it is not the writer. */
        public static Result notWriter(String detail) {
            return new Result(false, true, detail);
        }
    }

    Result probe(Backend backend);
}
