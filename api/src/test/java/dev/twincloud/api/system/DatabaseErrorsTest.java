package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.TransactionSystemException;

/** What the drills saw while a writer's database shut down for a switchover: all of it is "retry", never a 500. */
class DatabaseErrorsTest {
    final DatabaseErrors errors = new DatabaseErrors(new SimpleMeterRegistry());

    @Test
    void aFencedWriteIsAWriteRejection() {
        assertThat(errors.classify(new RuntimeException(new SQLException("fenced", "TCL01")))).contains(DatabaseErrors.Kind.WRITE_REJECTED);
    }

    @Test
    void aServerShuttingDownIsUnavailable() {
        var terminated = new DataAccessResourceFailureException("insert", new SQLException("terminating connection due to administrator command", "57P01"));
        assertThat(errors.classify(terminated)).contains(DatabaseErrors.Kind.UNAVAILABLE);
        assertThat(errors.classify(new DataAccessResourceFailureException("commit", new SQLException("I/O error")))).contains(DatabaseErrors.Kind.UNAVAILABLE);
    }

    @Test
    void aFailedRollbackAfterALostConnectionIsJudgedByWhatHappenedFirst() {
        var rollbackFailed = new TransactionSystemException("JDBC rollback failed", new SQLException("This connection has been closed."));
        rollbackFailed.initApplicationException(new SQLException("fenced", "TCL01"));
        assertThat(errors.classify(rollbackFailed)).contains(DatabaseErrors.Kind.WRITE_REJECTED);
        var lost = new TransactionSystemException("JDBC rollback failed", new SQLException("closed"));
        lost.initApplicationException(new IllegalStateException("boom"));
        assertThat(errors.classify(lost)).contains(DatabaseErrors.Kind.UNAVAILABLE);
    }

    @Test
    void aBugIsNotTheDatabasesFault() {
        assertThat(errors.classify(new IllegalStateException("bug"))).isEmpty();
        assertThat(errors.classify(new RuntimeException(new SQLException("syntax", "42601")))).contains(DatabaseErrors.Kind.OTHER);
    }
}
