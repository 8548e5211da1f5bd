package dev.twincloud.api.system;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import java.util.Set;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.stereotype.Component;

/**
 * The one place that reads SQLSTATEs: classifies a failure by the SQLExceptions in its cause chain
 * and counts it in {@code twincloud.db.errors{sqlstate_class}}.
 */
@Component
class DatabaseErrors {

    /** 25006 read_only_sql_transaction: a standby; TCL01: the twincloud write-lease guard refused the write. */
    static final Set<String> WRITE_REJECTED = Set.of("25006", "TCL01");

    enum Kind {
        /** The database is a standby or this site does not hold the write lease: retry, maybe elsewhere. */
        WRITE_REJECTED,
        /** No connection, or the server is shutting down or starting up. */
        UNAVAILABLE,
        /** Anything else: a bug or an unexpected database state. */
        OTHER
    }

    private final MeterRegistry registry;

    DatabaseErrors(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Classifies {@code failure}; empty when nothing in its cause chain comes from the database. */
    Optional<Kind> classify(Throwable failure) {
        boolean fromDatabase = false;
        Kind kind = Kind.OTHER;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.springframework.transaction.TransactionSystemException tse && tse.getApplicationException() != null) {
                // "rollback failed": the connection died (e.g. the server is shutting down for a switchover);
                // what the request met first is the application exception
                Optional<Kind> first = classify(tse.getApplicationException());
                if (first.isPresent() && first.get() != Kind.OTHER) {
                    return first;
                }
                fromDatabase = true;
                kind = Kind.UNAVAILABLE;
            }
            if (t instanceof CannotGetJdbcConnectionException || t instanceof SQLTransientConnectionException
                    || t instanceof org.springframework.dao.DataAccessResourceFailureException
                    || t instanceof org.springframework.transaction.CannotCreateTransactionException) {
                fromDatabase = true;
                kind = Kind.UNAVAILABLE;
            }
            if (t instanceof SQLException sql) {
                fromDatabase = true;
                String state = sql.getSQLState();
                count(state);
                if (state != null && WRITE_REJECTED.contains(state)) {
                    return Optional.of(Kind.WRITE_REJECTED);
                }
                if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                    kind = Kind.UNAVAILABLE;
                }
            }
        }
        return fromDatabase ? Optional.of(kind) : Optional.empty();
    }

    private void count(String state) {
        String stateClass = state == null || state.length() < 2 ? "unknown" : state.substring(0, 2);
        Counter.builder("twincloud.db.errors")
                .description("Database errors seen by the API, by SQLSTATE class")
                .tag("sqlstate_class", stateClass)
                .register(registry)
                .increment();
    }
}
