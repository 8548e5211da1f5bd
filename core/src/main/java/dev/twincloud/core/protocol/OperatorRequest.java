package dev.twincloud.core.protocol;

import java.util.Optional;

/**
 * The bodies of the arbiter's operator endpoints, as the arbiter reads them and its clients (the
 * {@code ctl} and {@code lab} commands, the drill) write them. Read from JSON a field may be missing
 * (null here): {@link #problem()} says what is wrong, for the arbiter to answer 400 with.
 */
public sealed interface OperatorRequest {

    /** What makes the request unusable, in words for the operator; empty when it is complete. */
    Optional<String> problem();

    /** {@code POST /v1/switchover}: a planned switchover of the writer to {@code to}. */
    record Switchover(SiteId to) implements OperatorRequest {
        @Override
        public Optional<String> problem() {
            return to == null ? Optional.of("'to' is required: the site to move the writer to") : Optional.empty();
        }
    }

    /**
     * {@code POST /v1/promote}: only forced promotions (automatic promotion is the arbiter's job), with
     * who and why for the history.
     */
    record Promote(SiteId site, Boolean force, String reason, String operator) implements OperatorRequest {

        /** A forced promotion of {@code site}. */
        public static Promote forced(SiteId site, String reason, String operator) {
            return new Promote(site, true, reason, operator);
        }

        @Override
        public Optional<String> problem() {
            if (site == null) {
                return Optional.of("'site' is required: the site to promote");
            }
            if (!Boolean.TRUE.equals(force)) {
                return Optional.of("only forced promotions can be requested (\"force\": true): the arbiter promotes "
                        + "automatically when it can prove it safe; forcing skips those checks and is recorded");
            }
            if (reason == null || reason.isBlank()) {
                return Optional.of("'reason' is required: a forced promotion is recorded with why");
            }
            if (operator == null || operator.isBlank()) {
                return Optional.of("'operator' is required: a forced promotion is recorded with who");
            }
            return Optional.empty();
        }
    }

    /**
     * {@code POST /v1/restored}: both sites were lost and {@code site}'s database was restored from a backup
     * ({@code what}: the store, the base backup, the point reached); a new epoch begins with it as the writer.
     */
    record Restored(SiteId site, String what, String operator) implements OperatorRequest {
        @Override
        public Optional<String> problem() {
            if (site == null) {
                return Optional.of("'site' is required: the site whose database was restored");
            }
            if (what == null || what.isBlank()) {
                return Optional.of("'what' is required: a restore is recorded with what was restored (store, backup, point)");
            }
            if (operator == null || operator.isBlank()) {
                return Optional.of("'operator' is required: a restore is recorded with who");
            }
            return Optional.empty();
        }
    }

    /** {@code POST /v1/mode}: the durability mode from now on. */
    record Mode(Durability mode) implements OperatorRequest {
        @Override
        public Optional<String> problem() {
            return mode == null ? Optional.of("'mode' is required: SYNC or ASYNC") : Optional.empty();
        }
    }
}
