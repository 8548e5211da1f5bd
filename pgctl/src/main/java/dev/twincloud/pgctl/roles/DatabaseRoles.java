package dev.twincloud.pgctl.roles;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The production database roles (docs/design.md, rule 1): the application runs as a role that owns
 * nothing, so it cannot disable, drop or bypass the lease guard; migrations run as the owner of the
 * application's tables; the guard itself belongs to the superuser the agent connects as.
 *
 * <ul>
 *   <li><b>owner</b> ({@code twincloud_owner} by default): LOGIN, no superuser, no replication, no
 *       BYPASSRLS, no CREATEDB/CREATEROLE; USAGE and CREATE on the application schema; owns the tables
 *       its migrations create, and every table, view and sequence already in the schema (handed over
 *       by {@link #ensure}). As a table owner it could alter the guard's triggers, but the guard's event
 *       trigger undoes a dropped guard and refuses a disabled one ({@code LeaseGuard}).</li>
 *   <li><b>app</b> ({@code twincloud_app}): LOGIN, none of the above powers, member of no role; USAGE
 *       on the schema and SELECT/INSERT/UPDATE/DELETE on its tables, USAGE/SELECT on its sequences (now
 *       and, by default privileges, on every table and sequence the owner creates later); no CREATE,
 *       no TRUNCATE, no ownership, so no ALTER/DROP of a table or trigger. {@code
 *       session_replication_role} is settable by superusers only. Role defaults: {@code
 *       idle_in_transaction_session_timeout} and, on PostgreSQL 17+, {@code transaction_timeout}.</li>
 * </ul>
 * The guard's own schema {@code twincloud} is the superuser's: everyone has USAGE on it and may call
 * {@code twincloud.write_lease_valid()} / {@code write_lease_problem()}, nothing more (see
 * {@code lease-guard.sql}). Idempotent: run by the agent (as superuser) on every start on a primary.
 */
public final class DatabaseRoles {

    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /** A role and its password; an empty password leaves the role's password as it is. */
    public record Role(String name, Optional<String> password) {
        public Role {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("role name '" + name + "' must match " + NAME.pattern());
            }
            password = password == null ? Optional.empty() : password.filter(p -> !p.isEmpty());
        }

        public static Role of(String name) {
            return new Role(name, Optional.empty());
        }
    }

    /**
     * @param schema                the application schema (e.g. {@code public})
     * @param idleInTransaction     the app role's default {@code idle_in_transaction_session_timeout}
     * @param transactionTimeout    the app role's default {@code transaction_timeout}, set where the server
     *                              has it (PostgreSQL 17 and later)
     */
    public record Spec(String schema, Role owner, Role app, Duration idleInTransaction, Duration transactionTimeout) {
        /** Default app-role {@code transaction_timeout}. */
        public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(60);

        public Spec {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(app, "app");
            if (schema == null || !NAME.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema '" + schema + "' must match " + NAME.pattern());
            }
            if (owner.name().equals(app.name())) {
                throw new IllegalArgumentException("the owner and the app role must differ: the app role must own nothing");
            }
            if (idleInTransaction == null || idleInTransaction.isNegative() || idleInTransaction.isZero()) {
                throw new IllegalArgumentException("idleInTransaction must be positive");
            }
            if (transactionTimeout == null || transactionTimeout.isNegative() || transactionTimeout.isZero()) {
                throw new IllegalArgumentException("transactionTimeout must be positive");
            }
        }

        /** With the default {@link #DEFAULT_TRANSACTION_TIMEOUT}. */
        public Spec(String schema, Role owner, Role app, Duration idleInTransaction) {
            this(schema, owner, app, idleInTransaction, DEFAULT_TRANSACTION_TIMEOUT);
        }

        public static Spec defaults(String schema) {
            return new Spec(schema, Role.of("twincloud_owner"), Role.of("twincloud_app"), Duration.ofSeconds(10));
        }
    }

    private DatabaseRoles() {
    }

    /**
     * Creates or updates both roles and their privileges in the database {@code superuser} is connected
     * to, in one transaction. Existing relations of the schema (tables, views, sequences; not those of an
     * extension) are handed to the owner, so the migrations can alter them after an upgrade from a
     * deployment that migrated as the superuser. Idempotent.
     */
    public static void ensure(Connection superuser, Spec spec) throws SQLException {
        boolean auto = superuser.getAutoCommit();
        superuser.setAutoCommit(false);
        try (Statement s = superuser.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(7312)"); // one installer at a time
            String schema = ident(spec.schema());
            String owner = ident(spec.owner().name());
            String app = ident(spec.app().name());
            String database = quotedDatabase(s);
            for (Role r : new Role[] {spec.owner(), spec.app()}) {
                s.execute("""
                        DO $$ BEGIN
                          CREATE ROLE %s LOGIN;
                        EXCEPTION WHEN duplicate_object THEN NULL;
                        END $$""".formatted(ident(r.name())));
                s.execute("ALTER ROLE " + ident(r.name())
                        + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT");
                if (r.password().isPresent()) {
                    s.execute("ALTER ROLE " + ident(r.name()) + " PASSWORD " + literal(r.password().get()));
                }
                s.execute("GRANT CONNECT ON DATABASE " + database + " TO " + ident(r.name()));
            }
            // The app role must not reach the owner's powers through a membership.
            s.execute("REVOKE " + owner + " FROM " + app);
            s.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            s.execute("REVOKE CREATE ON SCHEMA " + schema + " FROM PUBLIC");
            s.execute("GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + owner);
            s.execute("REVOKE CREATE ON SCHEMA " + schema + " FROM " + app);
            s.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + app);
            handOverToOwner(s, spec.schema(), owner);
            s.execute("REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM " + app);
            s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + app);
            s.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA " + schema + " FROM " + app);
            s.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + app);
            s.execute("ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA " + schema
                    + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + app);
            s.execute("ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA " + schema
                    + " GRANT USAGE, SELECT ON SEQUENCES TO " + app);
            s.execute("ALTER ROLE " + app + " SET idle_in_transaction_session_timeout = "
                    + literal(spec.idleInTransaction().toMillis() + "ms"));
            if (serverVersion(s) >= 170000) {
                s.execute("ALTER ROLE " + app + " SET transaction_timeout = "
                        + literal(spec.transactionTimeout().toMillis() + "ms"));
            }
            superuser.commit();
        } catch (SQLException e) {
            superuser.rollback();
            throw e;
        } finally {
            superuser.setAutoCommit(auto);
        }
    }

    /** Every table, view and free-standing sequence of the schema that is no extension's becomes the owner's. */
    private static void handOverToOwner(Statement s, String schema, String owner) throws SQLException {
        List<String> statements = new ArrayList<>();
        try (var rs = s.executeQuery("""
                SELECT format('ALTER %%s %%s OWNER TO %%s',
                              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                             WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                              c.oid::regclass, %s)
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = %s
                   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                   AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = %s)
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                     AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
                 ORDER BY c.oid""".formatted(literal(owner), literal(schema), literal(unquoted(owner))))) {
            while (rs.next()) {
                statements.add(rs.getString(1));
            }
        }
        for (String sql : statements) {
            s.execute(sql);
        }
    }

    private static String ident(String name) {
        return '"' + name + '"'; // names match NAME: no quote inside, already lower case
    }

    private static String unquoted(String ident) {
        return ident.substring(1, ident.length() - 1);
    }

    private static int serverVersion(Statement s) throws SQLException {
        try (var rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String quotedDatabase(Statement s) throws SQLException {
        try (var rs = s.executeQuery("SELECT quote_ident(current_database())")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
