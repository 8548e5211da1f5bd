package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.AgentListener;
import dev.twincloud.agent.core.ArbiterClient;
import dev.twincloud.agent.core.Observation;
import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.agent.core.StepResult;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.LeaseGrant;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.TempDirs;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * docs/design.md rule 2 on real PostgreSQL: whatever step of the grant path the agent pauses at,
 * the lease the database holds ends no later than the arbiter's lease, which starts when the
 * heartbeat arrives (after the agent's t0). Both ends are read on the database's clock.
 */
class LeaseGrantPauseTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final Duration TTL = Duration.ofMillis(3000);
    static final Duration PAUSE = Duration.ofMillis(900);

    /** Where the agent is held up on the path of one grant. */
    enum Pause {
        /** the heartbeat is in flight a pause long: it arrives a pause after the agent's t0 */
        BEFORE_HEARTBEAT_ARRIVES,
        /** the arbiter answers late: the heartbeat returns a pause after it arrived */
        BEFORE_HEARTBEAT_RETURNS,
        /** after the heartbeat returned, before the connection is used */
        BEFORE_CONNECTION,
        /** inside connect (the kept connection broke, a new one is opened on the timed path) */
        INSIDE_CONNECT,
        /** after the guard was installed on the timed path (it could not be installed earlier) */
        AFTER_GUARD_INSTALL,
        /** after the database clock was read */
        AFTER_CLOCK_READ,
        /** just before the lease statement */
        BEFORE_LEASE_STATEMENT
    }

    static Path base;
    static PostgresServer pg;

    Pause pause;
    boolean armed;
    int failConnects;
    final AtomicInteger connects = new AtomicInteger();
    final List<Boolean> leaseWrites = new ArrayList<>();
    OffsetDateTime arbiterExpiry;
    boolean grant;

    @BeforeAll
    static void server() {
        base = TempDirs.create("lease-pause");
        pg = PostgresServer.builder(base.resolve("gcp")).settings(Map.of("twincloud.site", "gcp")).stopOnJvmExit(true).build();
        pg.initdb().start();
    }

    @AfterAll
    static void stop() {
        pg.stop();
        TempDirs.deleteQuietly(base);
    }

    static int databases;
    /** Each test's own database: the guard and the lease row start from nothing. */
    static String db;

    @BeforeEach
    void freshDatabase() {
        db = "lease_" + (++databases);
        pg.createDatabase(db);
    }

    @ParameterizedTest
    @EnumSource(Pause.class)
    void theDatabaseLeaseEndsNoLaterThanTheArbitersWhereverTheAgentPauses(Pause where) throws Exception {
        pause = where;
        Agent agent = agent();
        if (where == Pause.AFTER_GUARD_INSTALL) {
            failConnects = 1; // the database refused the connection when the site became the writer
        }
        agent.tick(); // INIT -> PRIMARY_ASYNC: no grant yet (the arbiter grants to a reporting writer)
        assertThat(agent.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        if (where == Pause.INSIDE_CONNECT) {
            terminateOtherSessions(); // the kept lease connection breaks
        }
        grant = true;
        armed = true;
        agent.tick();
        assertThat(leaseWrites).as("the grant was written").containsExactly(true);

        OffsetDateTime validUntil = validUntil();
        assertThat(validUntil).as("database lease end vs the arbiter's (heartbeat arrival + ttl), pause " + where)
                .isBeforeOrEqualTo(arbiterExpiry);
        Duration gap = Duration.between(validUntil, arbiterExpiry);
        System.out.println("pause " + where + ": database lease ends " + gap.toMillis() + " ms before the arbiter's");
        assertThat(validUntil).as("a lease that is still valid").isAfter(arbiterExpiry.minus(TTL).plus(PAUSE));
        if (where == Pause.BEFORE_HEARTBEAT_ARRIVES) {
            assertThat(gap).as("time in flight counts against the database lease").isGreaterThanOrEqualTo(PAUSE.minusMillis(50));
        }
    }

    @Test
    void aPauseLongerThanTheTtlWritesNoLease() throws Exception {
        pause = Pause.AFTER_CLOCK_READ;
        Agent agent = agent();
        agent.tick();
        grant = true;
        armed = true;
        Duration longPause = TTL.plusMillis(200);
        pauseFor = longPause;
        agent.tick();
        assertThat(leaseWrites).containsExactly(false);
        try (Connection c = pg.connect(db); Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM twincloud.lease")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    @Test
    void oneConnectionCarriesEveryLeaseWriteAndTheGuardIsInPlaceBeforeTheFirstGrant() throws Exception {
        Agent agent = agent();
        agent.tick();
        try (Connection c = pg.connect(db); Statement s = c.createStatement(); var rs = s.executeQuery("SELECT to_regclass('twincloud.lease')")) {
            rs.next();
            assertThat(rs.getString(1)).as("guard installed on becoming the writer").isEqualTo("twincloud.lease");
        }
        assertThat(connects.get()).isEqualTo(1);
        grant = true;
        for (int i = 0; i < 5; i++) {
            agent.tick();
        }
        assertThat(leaseWrites).containsExactly(true, true, true, true, true);
        assertThat(connects.get()).as("connections opened").isEqualTo(1);

        terminateOtherSessions(); // e.g. the server restarted: the next grant reopens once
        agent.tick();
        agent.tick();
        assertThat(leaseWrites).hasSize(7).allMatch(b -> b);
        assertThat(connects.get()).isEqualTo(2);
    }

    Duration pauseFor = PAUSE;

    Agent agent() {
        LocalPostgresDriver local = new LocalPostgresDriver(GCP, pg, pg);
        PostgresDriver driver = new PostgresDriver() {
            public Observation observe() { return local.observe(); }
            public StepResult startAsPrimary() { return local.startAsPrimary(); }
            public StepResult followWriter(SiteId w) { return local.followWriter(w); }
            public StepResult promote(Optional<String> t) { return local.promote(t); }
            public StepResult setSynchronousStandby(Optional<SiteId> s) { return local.setSynchronousStandby(s); }
            public StepResult stopClean() { return local.stopClean(); }
            public StepResult stopNow() { return local.stopNow(); }
            public Lsn stopLsn() { return local.stopLsn(); }

            public Connection connect() throws SQLException {
                connects.incrementAndGet();
                if (failConnects > 0) {
                    failConnects--;
                    throw new SQLException("connection refused (test)", "08001");
                }
                if (armed && pause == Pause.INSIDE_CONNECT) {
                    sleep();
                }
                Connection c = pg.connect(db);
                try (Statement st = c.createStatement()) {
                    st.execute("SET statement_timeout = '2s'"); // as LocalPostgresDriver.connect
                }
                return pausing(c);
            }
        };
        ArbiterClient arbiter = report -> {
            if (armed && pause == Pause.BEFORE_HEARTBEAT_ARRIVES) {
                sleep();
            }
            OffsetDateTime arrived = dbNow();
            boolean writer = report.state().isWriter() && report.dbRole() == DbRole.PRIMARY;
            Optional<LeaseGrant> lease = grant && writer ? Optional.of(new LeaseGrant(1, TTL.toMillis())) : Optional.empty();
            if (lease.isPresent()) {
                arbiterExpiry = arrived.plusNanos(TTL.toNanos());
            }
            if (armed && pause == Pause.BEFORE_HEARTBEAT_RETURNS) {
                sleep();
            }
            return new Assignment(1, SiteState.PRIMARY_ASYNC, GCP, Optional.empty(), lease, "test", Optional.empty());
        };
        return new Agent(GCP, driver, arbiter, List.of("public"), System::nanoTime, new AgentListener() {
            @Override
            public void leaseWritten(long epoch, boolean applied) {
                leaseWrites.add(applied);
                armed = false;
            }
        });
    }

    /** A connection that pauses at the armed step (once per arming). */
    Connection pausing(Connection real) {
        boolean[] first = {true};
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Connection.class}, (proxy, m, args) -> {
            if (armed && pause == Pause.BEFORE_CONNECTION && first[0] && m.getName().equals("getAutoCommit")) {
                first[0] = false;
                sleep();
            }
            if (armed && pause == Pause.BEFORE_LEASE_STATEMENT && m.getName().equals("prepareStatement")
                    && String.valueOf(args[0]).contains("twincloud.lease")) {
                sleep();
            }
            Object r = invoke(real, m, args);
            if (r instanceof Statement s && m.getName().equals("createStatement")) {
                return pausingStatement(s);
            }
            return r;
        });
    }

    Statement pausingStatement(Statement real) {
        return (Statement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Statement.class}, (proxy, m, args) -> {
            Object r = invoke(real, m, args);
            if (armed && m.getName().startsWith("execute") && args != null && args.length > 0) {
                String sql = String.valueOf(args[0]);
                if ((pause == Pause.AFTER_GUARD_INSTALL && sql.contains("attach_guards"))
                        || (pause == Pause.AFTER_CLOCK_READ && sql.contains("clock_timestamp"))) {
                    sleep();
                }
            }
            return r;
        });
    }

    static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    void sleep() {
        try {
            Thread.sleep(pauseFor);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static OffsetDateTime dbNow() {
        try (Connection c = pg.connect(db); Statement s = c.createStatement(); var rs = s.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    static OffsetDateTime validUntil() throws SQLException {
        try (Connection c = pg.connect(db); Statement s = c.createStatement(); var rs = s.executeQuery("SELECT valid_until FROM twincloud.lease")) {
            assertThat(rs.next()).as("a lease row").isTrue();
            return rs.getObject(1, OffsetDateTime.class);
        }
    }

    static void terminateOtherSessions() {
        pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
    }
}
