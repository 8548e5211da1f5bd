package dev.twincloud.pgctl.roles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.pgctl.junit.PostgresExtension;
import dev.twincloud.pgctl.lease.LeaseGuard;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The guard with the production roles on a real PostgreSQL (docs/design.md rule 1): the application's
 * role {@code twincloud_app} owns nothing, the tables belong to {@code twincloud_owner} (who runs the
 * migrations), the guard to the superuser the agent connects as. The app role can neither commit after
 * the lease nor disable, drop or bypass the guard.
 */
class ProductionRolesTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.create().withSetting("twincloud.site", "gcp");

    private static final Duration TTL = Duration.ofSeconds(30);
    /** Long enough for a write to get in under it on a busy machine; the tests then wait it out. */
    private static final Duration SHORT = Duration.ofSeconds(3);
    private static final String DENIED = "42501"; // insufficient_privilege

    String url;
    Connection superuser;
    Connection owner;
    Connection app;
    final List<Connection> opened = new ArrayList<>();

    @BeforeEach
    void setUp() throws SQLException {
        url = pg.createDatabase("roles_" + System.nanoTime());
        superuser = connect(pg.username());
        DatabaseRoles.ensure(superuser, DatabaseRoles.Spec.defaults("public"));
        owner = connect("twincloud_owner");
        exec(owner, "CREATE TABLE public.ecg(id bigserial PRIMARY KEY, v text)"); // as a migration would
        LeaseGuard.install(superuser, List.of("public"));
        app = connect("twincloud_app");
    }

    @AfterEach
    void tearDown() throws SQLException {
        for (Connection c : opened) {
            c.close();
        }
    }

    // ---- DatabaseRoles ----

    @Test
    void rolesAreLoginRolesWithoutAnyPowerAndEnsureIsIdempotent() throws SQLException {
        DatabaseRoles.ensure(superuser, DatabaseRoles.Spec.defaults("public"));
        DatabaseRoles.ensure(superuser, DatabaseRoles.Spec.defaults("public"));
        for (String role : List.of("twincloud_owner", "twincloud_app")) {
            assertThat(string(superuser, "SELECT concat_ws(',', rolcanlogin, rolsuper, rolreplication, rolbypassrls, rolcreaterole, rolcreatedb)"
                    + " FROM pg_roles WHERE rolname = '" + role + "'")).as(role).isEqualTo("t,f,f,f,f,f");
        }
        assertThat(string(superuser, "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
                + " WHERE r.rolname = 'twincloud_app'")).as("the app role is a member of no role").isEqualTo("0");
        assertThat(string(app, "SHOW idle_in_transaction_session_timeout")).isEqualTo("10s");
        if (pgVersion() >= 170000) {
            assertThat(string(app, "SHOW transaction_timeout")).isEqualTo("1min");
        }
        assertThat(string(superuser, "SELECT relowner::regrole FROM pg_class WHERE oid = 'public.ecg'::regclass")).isEqualTo("twincloud_owner");
    }

    @Test
    void ensureHandsExistingTablesToTheOwnerAndTheirDmlToTheApp() throws SQLException {
        exec(superuser, "CREATE TABLE public.legacy(id serial PRIMARY KEY, v text)"); // e.g. migrated as postgres earlier
        DatabaseRoles.ensure(superuser, DatabaseRoles.Spec.defaults("public"));
        assertThat(string(superuser, "SELECT relowner::regrole FROM pg_class WHERE oid = 'public.legacy'::regclass")).isEqualTo("twincloud_owner");
        assertThat(string(superuser, "SELECT relowner::regrole FROM pg_class WHERE oid = 'public.legacy_id_seq'::regclass")).isEqualTo("twincloud_owner");
        LeaseGuard.writeLease(superuser, 1, "gcp", Duration.ZERO, TTL);
        exec(app, "INSERT INTO legacy(v) VALUES ('x')");
        exec(owner, "ALTER TABLE legacy ADD COLUMN w text"); // the next migration
    }

    @Test
    void tablesTheOwnerCreatesLaterGetTheAppsDmlAndBothGuards() throws SQLException {
        exec(owner, "CREATE TABLE public.annotation(id bigserial PRIMARY KEY, ecg bigint REFERENCES ecg, note text)");
        assertThat(string(superuser, "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger"
                + " WHERE tgrelid = 'public.annotation'::regclass AND NOT tgisinternal")).isEqualTo("twincloud_commit_guard,twincloud_guard");
        assertFenced(() -> exec(app, "INSERT INTO annotation(note) VALUES ('x')"), "no write lease");

        LeaseGuard.writeLease(superuser, 1, "gcp", System.nanoTime(), SHORT, System::nanoTime);
        exec(app, "INSERT INTO annotation(note) VALUES ('x')");
        exec(app, "UPDATE annotation SET note = 'y'");
        app.setAutoCommit(false);
        exec(app, "INSERT INTO annotation(note) VALUES ('late')");
        sleepPastTheLease();
        assertCommitFenced(app);
        assertThat(string(superuser, "SELECT string_agg(note, ',') FROM annotation")).isEqualTo("y");
        assertDenied(() -> exec(app, "TRUNCATE annotation"));
    }

    // ---- the guard decides at commit, for the app role too ----

    @Test
    void theAppWritesUnderAValidLeaseAndCanAskWhetherItMay() throws SQLException {
        assertThat(string(app, "SELECT twincloud.write_lease_problem()")).contains("no write lease");
        assertThat(string(app, "SELECT twincloud.write_lease_valid()")).isEqualTo("f");
        LeaseGuard.writeLease(superuser, 1, "gcp", Duration.ZERO, TTL);
        assertThat(string(app, "SELECT twincloud.write_lease_valid()")).isEqualTo("t");
        assertThat(string(app, "SELECT coalesce(twincloud.write_lease_problem(), 'none')")).isEqualTo("none");
        exec(app, "INSERT INTO ecg(v) VALUES ('x')");
        exec(app, "UPDATE ecg SET v = 'y'");
        exec(app, "DELETE FROM ecg");
    }

    @Test
    void theAppsTransactionCannotCommitAfterTheLeaseEnded() throws Exception {
        LeaseGuard.writeLease(superuser, 1, "gcp", System.nanoTime(), SHORT, System::nanoTime);
        app.setAutoCommit(false);
        exec(app, "INSERT INTO ecg(v) VALUES ('x')");
        sleepPastTheLease();
        assertCommitFenced(app);
        assertThat(string(superuser, "SELECT count(*) FROM ecg")).isEqualTo("0");
    }

    // ---- the app role cannot disable, drop or bypass the guard ----

    @Test
    void theAppCannotTouchTheGuardTheTablesOrTheLease() {
        assertDenied(() -> exec(app, "ALTER TABLE ecg DISABLE TRIGGER twincloud_guard"));
        assertDenied(() -> exec(app, "ALTER TABLE ecg DISABLE TRIGGER ALL"));
        assertDenied(() -> exec(app, "DROP TRIGGER twincloud_commit_guard ON ecg"));
        assertDenied(() -> exec(app, "DROP TABLE ecg"));
        assertDenied(() -> exec(app, "TRUNCATE ecg"));
        assertDenied(() -> exec(app, "SET session_replication_role = replica"));
        assertDenied(() -> exec(app, "ALTER ROLE twincloud_app SET session_replication_role = replica"));
        assertDenied(() -> exec(app, "INSERT INTO twincloud.lease(epoch, site, valid_until) VALUES (9, 'gcp', 'infinity')"));
        assertDenied(() -> exec(app, "UPDATE twincloud.lease SET valid_until = 'infinity'"));
        assertDenied(() -> exec(app, "SELECT * FROM twincloud.lease"));
        assertDenied(() -> exec(app, "INSERT INTO twincloud.guarded_schema VALUES ('x')"));
        assertDenied(() -> exec(app, "CREATE OR REPLACE FUNCTION twincloud.write_lease_problem() RETURNS text LANGUAGE sql AS 'SELECT NULL::text'"));
        assertDenied(() -> exec(app, "CREATE OR REPLACE FUNCTION twincloud.guard_commit() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'"));
        assertDenied(() -> exec(app, "SELECT twincloud.attach_guards()"));
        assertDenied(() -> exec(app, "CREATE TABLE public.mine(id int)"));
        assertDenied(() -> exec(app, "ALTER EVENT TRIGGER twincloud_guard_new_tables DISABLE"));
        assertDenied(() -> exec(app, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'postgres'"));
    }

    @Test
    void aTemporaryFunctionCannotStandInForTheGuardsHelpers() throws SQLException {
        // pg_temp comes last in the guard's search_path, and its references are schema-qualified
        exec(app, "CREATE TABLE pg_temp.lease(singleton boolean, epoch bigint, site text, valid_until timestamptz,"
                + " epoch_floor bigint, updated_at timestamptz, postmaster_start timestamptz)");
        exec(app, "INSERT INTO pg_temp.lease VALUES (true, 9, 'gcp', 'infinity', 0, now(), pg_postmaster_start_time())");
        exec(app, "SET search_path = pg_temp, public");
        assertFenced(() -> exec(app, "INSERT INTO public.ecg(v) VALUES ('x')"), "no write lease");
    }

    @Test
    void settingTwincloudSiteNeverAuthorizesAWrite() throws SQLException {
        // the other site's lease, replicated here before this server was promoted: its row names aws and
        // was written by another server (another postmaster start)
        LeaseGuard.writeLease(superuser, 3, "aws", Duration.ZERO, TTL);
        exec(superuser, "UPDATE twincloud.lease SET postmaster_start = pg_postmaster_start_time() - interval '1 day'");

        exec(app, "SET twincloud.site = 'aws'");
        assertFenced(() -> exec(app, "INSERT INTO ecg(v) VALUES ('x')"), "not written by this server");
        exec(app, "RESET twincloud.site");

        app.setAutoCommit(false);
        exec(app, "SET LOCAL twincloud.site = 'aws'");
        assertFenced(() -> exec(app, "INSERT INTO ecg(v) VALUES ('x')"), "not written by this server");
        app.rollback();
        app.setAutoCommit(true);

        // PostgreSQL 15+ refuses a role this for a placeholder setting; older ones let a role do it to itself,
        // and anyone with more rights may: the guard must hold either way
        if (pgVersion() >= 150000) {
            assertDenied(() -> exec(app, "ALTER ROLE twincloud_app SET twincloud.site = 'aws'"));
        }
        exec(superuser, "ALTER ROLE twincloud_app SET twincloud.site = 'aws'");
        try {
            Connection again = connect("twincloud_app");
            assertThat(string(again, "SHOW twincloud.site")).isEqualTo("aws");
            assertFenced(() -> exec(again, "INSERT INTO ecg(v) VALUES ('x')"), "not written by this server");
        } finally {
            exec(superuser, "ALTER ROLE twincloud_app RESET twincloud.site");
        }

        Properties options = new Properties();
        options.setProperty("user", "twincloud_app");
        options.setProperty("password", "");
        options.setProperty("options", "-c twincloud.site=aws");
        Connection viaOption = DriverManager.getConnection(url, options);
        opened.add(viaOption);
        assertThat(string(viaOption, "SHOW twincloud.site")).isEqualTo("aws");
        assertFenced(() -> exec(viaOption, "INSERT INTO ecg(v) VALUES ('x')"), "not written by this server");

        // and with this site's own valid lease, a session claiming another site is refused as well
        LeaseGuard.writeLease(superuser, 4, "gcp", Duration.ZERO, TTL);
        assertFenced(() -> exec(viaOption, "INSERT INTO ecg(v) VALUES ('x')"), "belongs to site gcp, this is site aws");
        exec(app, "INSERT INTO ecg(v) VALUES ('x')");
    }

    // ---- and the owner, who runs the migrations, cannot keep a guard off either ----

    @Test
    void theOwnerCannotDisableTheGuardAndADroppedGuardComesBack() throws SQLException {
        assertThatThrownBy(() -> exec(owner, "ALTER TABLE ecg DISABLE TRIGGER twincloud_commit_guard"))
                .hasMessageContaining("must stay enabled");
        assertThatThrownBy(() -> exec(owner, "ALTER TABLE ecg DISABLE TRIGGER ALL")).hasMessageContaining("must stay enabled");
        assertThatThrownBy(() -> exec(owner, "ALTER TABLE ecg ENABLE REPLICA TRIGGER twincloud_guard")).hasMessageContaining("must stay enabled");
        exec(owner, "DROP TRIGGER twincloud_guard ON ecg");
        assertThat(string(superuser, "SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger"
                + " WHERE tgrelid = 'public.ecg'::regclass AND NOT tgisinternal")).isEqualTo("twincloud_commit_guard:O,twincloud_guard:O");
        exec(owner, "ALTER TRIGGER twincloud_commit_guard ON ecg RENAME TO renamed"); // a guard under another name
        assertThatThrownBy(() -> exec(owner, "ALTER TABLE ecg DISABLE TRIGGER renamed")).hasMessageContaining("must stay enabled");
        assertThat(string(superuser, "SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger"
                + " WHERE tgrelid = 'public.ecg'::regclass AND NOT tgisinternal"))
                .isEqualTo("renamed:O,twincloud_guard:O");
        exec(owner, "ALTER TABLE ecg ADD COLUMN note text"); // ordinary migrations still work
        assertFenced(() -> exec(app, "INSERT INTO ecg(v) VALUES ('x')"), "no write lease");
    }

    // ---- helpers ----

    private Connection connect(String user) throws SQLException {
        Connection c = DriverManager.getConnection(url, user, pg.password());
        opened.add(c);
        return c;
    }

    private int pgVersion() throws SQLException {
        return Integer.parseInt(string(superuser, "SHOW server_version_num"));
    }

    private void sleepPastTheLease() throws SQLException {
        exec(superuser, "SELECT pg_sleep(greatest(0, extract(epoch FROM (SELECT valid_until FROM twincloud.lease) - clock_timestamp())) + 0.3)");
    }

    private static void assertCommitFenced(Connection c) throws SQLException {
        try {
            assertThatThrownBy(c::commit)
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(LeaseGuard.FENCED_SQLSTATE))
                    .hasMessageContaining("cannot commit").hasMessageContaining("ended at");
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    private static void assertFenced(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String why) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(LeaseGuard.FENCED_SQLSTATE))
                .hasMessageContaining(why);
    }

    private static void assertDenied(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(DENIED));
    }

    private static String string(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
