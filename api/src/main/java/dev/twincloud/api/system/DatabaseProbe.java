package dev.twincloud.api.system;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Asks the database whether it is a primary or a standby, within a hard time limit, so that the
 * health endpoints answer quickly even when the database hangs (frozen process, cut network).
 */
@Component
class DatabaseProbe implements AutoCloseable {

    enum Role { PRIMARY, STANDBY }

    /**
     * What the probe saw: a role, or why there is none; and why this site may not write now
     * ({@code leaseProblem} null when its twincloud write lease is valid).
     */
    record Result(Role role, String error, String leaseProblem) {
        boolean answered() {
            return role != null;
        }
    }

    private final DataSource dataSource;
    private final Duration timeout;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    DatabaseProbe(DataSource dataSource, @Value("${twincloud.api.health.timeout:1500ms}") Duration timeout) {
        this.dataSource = dataSource;
        this.timeout = timeout;
    }

    Result probe() {
        Future<Result> answer = executor.submit(this::query);
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            return new Result(null, "no answer within " + timeout.toMillis() + " ms", null);
        } catch (ExecutionException e) {
            return new Result(null, e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(null, "interrupted", null);
        }
    }

    private Result query() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
            Role role;
            boolean guarded;
            try (ResultSet rs = s.executeQuery(
                    "select pg_is_in_recovery(), to_regprocedure('twincloud.write_lease_problem()') is not null")) {
                rs.next();
                role = rs.getBoolean(1) ? Role.STANDBY : Role.PRIMARY;
                guarded = rs.getBoolean(2);
            }
            if (!guarded) {
                return new Result(role, null, "the twincloud lease guard is not installed in this database");
            }
            try (ResultSet rs = s.executeQuery("select twincloud.write_lease_problem()")) {
                rs.next();
                return new Result(role, null, rs.getString(1));
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
