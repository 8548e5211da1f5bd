package dev.twincloud.api.system;

import java.sql.SQLException;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Keeps the request pool from asking a database that turns connections away for new ones (below), and
 * renews it when the database is back after {@link WriterHealth} lost its connection:
 * HikariCP evicts the idle connections at once (the busy ones when they are returned) and opens new
 * ones in the background up to its minimum idle.
 *
 * <p>Why: a server that restarted — a switchover's old writer coming back as a standby — killed every
 * pooled connection, and the pool learns that only when a request borrows one (a failed validation per
 * dead connection, then a new connection while the request waits). On the site that becomes the writer
 * at the next switchover, that was the first write's wait (about 100 ms in the lab, docs/benchmarks.md).
 * Evicting connections that were in fact fine costs only their re-opening.
 */
@Component
class PoolRenewal {

    private static final Logger log = LoggerFactory.getLogger(PoolRenewal.class);

    /** The request pool; null when the data source is not a HikariCP pool (nothing to do then). */
    private final HikariDataSource hikari;
    /** Its configured minimum idle, set again when the database answers. */
    private final int minimumIdle;

    PoolRenewal(DataSource dataSource) {
        this.hikari = hikari(dataSource);
        this.minimumIdle = hikari == null ? 0 : hikari.getMinimumIdle();
    }

    @EventListener
    void on(WriterHealth.DatabaseReconnected back) {
        if (hikari == null || hikari.getHikariPoolMXBean() == null) {
            return;
        }
        keepIdle(); // before the eviction: the pool refills up to its minimum idle
        hikari.getHikariPoolMXBean().softEvictConnections();
        log.info("database back (the health connection had failed: {}): the request pool's connections renewed", back.cause());
    }

    /**
     * While the database turns connections away, the pool opens none to keep its minimum idle (HikariCP
     * retries a failed one after 10 ms, then 20, 40, 80 ms...): each is a process the server forks to
     * refuse it, and a switchover's stopping old writer waits for every one before it can exit — five
     * such attempts kept one from exiting for 500 ms (docs/benchmarks.md, run 8). A request that needs a
     * connection still asks for one (the writer health's gate turns most away first).
     */
    @EventListener
    void on(WriterHealth.DatabaseRefusing refusing) {
        if (hikari == null) {
            return;
        }
        hikari.getHikariConfigMXBean().setMinimumIdle(0);
        log.info("database turning connections away ({}): the request pool opens no idle connections until it answers",
                refusing.cause());
    }

    @EventListener
    void on(WriterHealth.DatabaseAnswering answering) {
        if (hikari != null) {
            keepIdle();
        }
    }

    private void keepIdle() {
        hikari.getHikariConfigMXBean().setMinimumIdle(minimumIdle);
    }

    private static HikariDataSource hikari(DataSource dataSource) {
        try {
            return dataSource.isWrapperFor(HikariDataSource.class) ? dataSource.unwrap(HikariDataSource.class) : null;
        } catch (SQLException e) {
            return null;
        }
    }
}
