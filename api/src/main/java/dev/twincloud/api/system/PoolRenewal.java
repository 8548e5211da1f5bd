package dev.twincloud.api.system;

import java.sql.SQLException;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Renews the request pool when the database is back after {@link WriterHealth} lost its connection:
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

    private final DataSource dataSource;

    PoolRenewal(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @EventListener
    void on(WriterHealth.DatabaseReconnected back) {
        HikariPoolMXBean pool = pool();
        if (pool == null) {
            return;
        }
        pool.softEvictConnections();
        log.info("database back (the health connection had failed: {}): the request pool's connections renewed", back.cause());
    }

    private HikariPoolMXBean pool() {
        try {
            return dataSource.isWrapperFor(HikariDataSource.class)
                    ? dataSource.unwrap(HikariDataSource.class).getHikariPoolMXBean() : null;
        } catch (SQLException e) {
            return null;
        }
    }
}
