package dev.twincloud.agent.cnpg;

import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.pgctl.Replication;
import dev.twincloud.pgctl.WalArchiveStatus;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** {@link SqlProbe} over JDBC (TWINCLOUD_DB_URL / _USER / _PASSWORD: CloudNativePG's superuser secret). */
public final class JdbcSqlProbe implements SqlProbe {
    private final String url;
    private final Properties props = new Properties();

    public JdbcSqlProbe(String url, String user, String password) {
        this.url = url;
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "5");
        props.setProperty("ApplicationName", "twincloud-agent");
    }

    @Override
    public boolean wakeRecoveryFromRetrySleep() {
        try (Connection c = connect()) {
            return Replication.wakeRecoveryFromRetrySleep(c);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public Optional<Reading> read() {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            boolean recovery;
            long systemId;
            int timeline;
            Lsn write;
            Lsn receive;
            try (ResultSet rs = s.executeQuery("""
                    SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system()),
                           (SELECT timeline_id FROM pg_control_checkpoint()),
                           CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text,
                           pg_last_wal_receive_lsn()::text""")) {
                rs.next();
                recovery = rs.getBoolean(1);
                systemId = rs.getLong(2);
                timeline = rs.getInt(3);
                write = Lsn.parse(rs.getString(4));
                receive = rs.getString(5) == null ? write : Lsn.parse(rs.getString(5));
            }
            if (recovery) {
                boolean streaming;
                try (ResultSet rs = s.executeQuery("SELECT count(*) > 0 FROM pg_stat_wal_receiver WHERE status = 'streaming'")) {
                    rs.next();
                    streaming = rs.getBoolean(1);
                }
                try (ResultSet rs = s.executeQuery("SELECT received_tli FROM pg_stat_wal_receiver")) {
                    if (rs.next() && rs.getInt(1) > timeline) {
                        timeline = rs.getInt(1);
                    }
                }
                return Optional.of(new Reading(true, systemId, timeline, write, receive.compareTo(write) > 0 ? receive : write,
                        streaming, List.of()));
            }
            List<Replica> replicas = new ArrayList<>();
            try (ResultSet rs = s.executeQuery(
                    "SELECT application_name, state, sync_state, flush_lsn::text, replay_lsn::text,"
                            + " (extract(epoch FROM replay_lag) * 1000)::bigint FROM pg_stat_replication")) {
                while (rs.next()) {
                    long lagValue = rs.getLong(6);
                    Long lag = rs.wasNull() ? null : lagValue; // read before the other columns: wasNull() is about the last read
                    replicas.add(new Replica(rs.getString(1), rs.getString(2), rs.getString(3),
                            Lsn.parse(rs.getString(4)), Lsn.parse(rs.getString(5)), lag));
                }
            }
            return Optional.of(new Reading(false, systemId, timeline, write, write, false, replicas, WalArchiveStatus.backlog(c)));
        } catch (SQLException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(url, props);
        try (Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = '2s'");
        }
        return c;
    }
}
