-- twincloud write-lease guard (docs/design.md rule 1). Idempotent: run on every agent start on a primary,
-- as a superuser (the guard's objects belong to it, never to the application's roles).
--
-- A write transaction on a guarded table commits only while this server holds a valid lease, judged by
-- the database's own clock (clock_timestamp()) at COMMIT:
--   * twincloud_guard: BEFORE ... FOR EACH STATEMENT, an early error when a write statement runs;
--   * twincloud_commit_guard: a constraint trigger AFTER ... FOR EACH ROW, DEFERRABLE INITIALLY
--     DEFERRED, so the same check runs again for every written row when the transaction commits.
-- So a dead agent, a partitioned site, a paused client or a stray session cannot commit once the lease
-- has run out, whenever its statements ran.
CREATE SCHEMA IF NOT EXISTS twincloud;

CREATE TABLE IF NOT EXISTS twincloud.lease (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch       bigint      NOT NULL,
    site        text        NOT NULL,
    valid_until timestamptz NOT NULL,
    epoch_floor bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The postmaster start time of the server that wrote the lease. A lease row replicated from the other
-- site's server, or written before this server restarted, never authorizes a write here: only a lease
-- this server's own agent wrote since this server started does. (Added after the first release: an
-- older row has NULL here and authorizes nothing until the agent writes the lease again.)
ALTER TABLE twincloud.lease ADD COLUMN IF NOT EXISTS postmaster_start timestamptz;

-- Schemas whose tables are guarded; the agent fills it from its configuration.
CREATE TABLE IF NOT EXISTS twincloud.guarded_schema (
    name text PRIMARY KEY
);

-- TRUNCATE fires no row trigger, so its statement guard queues the commit check through this table:
-- it inserts a row (whose deferred trigger checks the lease at COMMIT) and deletes it again at once.
CREATE TABLE IF NOT EXISTS twincloud.commit_check (
    id bigserial PRIMARY KEY
);

-- NULL when this server may write now, else why not.
CREATE OR REPLACE FUNCTION twincloud.write_lease_problem() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    l  twincloud.lease;
    me text := pg_catalog.current_setting('twincloud.site', true);
BEGIN
    IF me IS NULL OR me = '' THEN
        RETURN 'the server setting twincloud.site is not set';
    END IF;
    -- PREPARE TRANSACTION runs the commit check at PREPARE, and COMMIT PREPARED may come any time later:
    -- with prepared transactions enabled the guard could not decide at commit, so it refuses every write.
    IF pg_catalog.current_setting('max_prepared_transactions') <> '0' THEN
        RETURN pg_catalog.format('max_prepared_transactions is %s: a prepared transaction could commit after'
                                 ' the lease ended; set it to 0', pg_catalog.current_setting('max_prepared_transactions'));
    END IF;
    SELECT * INTO l FROM twincloud.lease WHERE singleton;
    IF NOT FOUND THEN
        RETURN 'no write lease has been granted to this site';
    END IF;
    IF l.site <> me THEN
        RETURN pg_catalog.format('the lease belongs to site %s, this is site %s', l.site, me);
    END IF;
    IF l.postmaster_start IS DISTINCT FROM pg_catalog.pg_postmaster_start_time() THEN
        RETURN pg_catalog.format('the lease of epoch %s was not written by this server since it started'
                                 ' (a replicated or pre-restart lease never authorizes writes)', l.epoch);
    END IF;
    IF l.epoch < l.epoch_floor THEN
        RETURN pg_catalog.format('lease epoch %s is older than epoch %s', l.epoch, l.epoch_floor);
    END IF;
    IF l.valid_until <= pg_catalog.clock_timestamp() THEN
        RETURN pg_catalog.format('the lease of epoch %s ended at %s', l.epoch, l.valid_until);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION twincloud.write_lease_valid() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT twincloud.write_lease_problem() IS NULL $$;

-- How long this server may still write, by the database's clock: NULL when it may not now
-- (write_lease_problem() is not NULL), else the time until the lease ends (never negative). The API's
-- writer health caches its answer and uses this to never answer UP past the lease's end.
CREATE OR REPLACE FUNCTION twincloud.write_lease_left() RETURNS interval
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    now_  timestamptz := pg_catalog.clock_timestamp();
    until timestamptz;
BEGIN
    IF twincloud.write_lease_problem() IS NOT NULL THEN
        RETURN NULL;
    END IF;
    SELECT l.valid_until INTO until FROM twincloud.lease l WHERE l.singleton;
    -- Read after the check: a fence in between leaves -infinity here, which is no time left.
    IF NOT FOUND OR until <= now_ THEN
        RETURN NULL;
    END IF;
    RETURN until - now_;
END
$$;

-- Statement time: BEFORE INSERT/UPDATE/DELETE/TRUNCATE, once per statement.
CREATE OR REPLACE FUNCTION twincloud.guard_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    problem text := twincloud.write_lease_problem();
    marker  bigint;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'twincloud: writes are fenced on this site: %', problem
            USING ERRCODE = 'TCL01',
                  HINT = 'The service is failing over or this site is not the writer; retry shortly.';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO twincloud.commit_check DEFAULT VALUES RETURNING id INTO marker;
        DELETE FROM twincloud.commit_check WHERE id = marker; -- the queued commit check stays
    END IF;
    RETURN NULL;
END
$$;

-- Commit time: fired, deferred, for every written row when the transaction commits. The fast path is
-- one read of the one-row lease table; it is exactly the conjunction of write_lease_problem()'s
-- conditions, which is asked only to word the error.
CREATE OR REPLACE FUNCTION twincloud.guard_commit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    problem text;
BEGIN
    PERFORM FROM twincloud.lease l
     WHERE l.singleton
       AND l.site = pg_catalog.current_setting('twincloud.site', true) AND l.site <> ''
       AND l.postmaster_start = pg_catalog.pg_postmaster_start_time()
       AND l.epoch >= l.epoch_floor
       AND l.valid_until > pg_catalog.clock_timestamp()
       AND pg_catalog.current_setting('max_prepared_transactions') = '0';
    IF NOT FOUND THEN
        problem := COALESCE(twincloud.write_lease_problem(), 'the lease ended while committing');
        RAISE EXCEPTION 'twincloud: writes are fenced on this site, the transaction cannot commit: %', problem
            USING ERRCODE = 'TCL01',
                  HINT = 'The service is failing over or this site is not the writer; retry the transaction shortly.';
    END IF;
    RETURN NULL;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = 'twincloud.commit_check'::pg_catalog.regclass AND tgname = 'twincloud_commit_guard') THEN
        CREATE CONSTRAINT TRIGGER twincloud_commit_guard AFTER INSERT ON twincloud.commit_check
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION twincloud.guard_commit();
    END IF;
END
$$;

-- Attach both guards to every ordinary or partitioned table of the guarded schemas that lacks one
-- (so an older install gets the commit guard on upgrade). A guard is known by its function, whatever
-- its trigger's name. Returns how many tables got a new trigger.
CREATE OR REPLACE FUNCTION twincloud.attach_guards() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    FOR t IN
        SELECT c.oid::regclass AS rel, c.relkind,
               NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = c.oid
                              AND tg.tgfoid = 'twincloud.guard_write()'::pg_catalog.regprocedure) AS needs_statement,
               NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = c.oid
                              AND tg.tgfoid = 'twincloud.guard_commit()'::pg_catalog.regprocedure) AS needs_commit
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND ns.nspname IN (SELECT g.name FROM twincloud.guarded_schema g)
          AND c.relname <> 'flyway_schema_history'
    LOOP
        IF t.needs_statement THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER twincloud_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE'
                                      ' ON %s FOR EACH STATEMENT EXECUTE FUNCTION twincloud.guard_write()', t.rel);
        END IF;
        -- On a partitioned table the constraint trigger is cloned to its partitions by PostgreSQL.
        IF t.needs_commit THEN
            EXECUTE pg_catalog.format('CREATE CONSTRAINT TRIGGER twincloud_commit_guard AFTER INSERT OR UPDATE OR DELETE'
                                      ' ON %s DEFERRABLE INITIALLY DEFERRED FOR EACH ROW'
                                      ' EXECUTE FUNCTION twincloud.guard_commit()', t.rel);
        END IF;
        IF t.needs_statement OR t.needs_commit THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

-- After DDL: new tables (e.g. from the migrations, run by the tables' owner) are guarded the moment
-- they are created, and no table owner can keep a guard dropped (it comes back) or disabled (the DDL
-- fails and is rolled back).
CREATE OR REPLACE FUNCTION twincloud.guard_new_tables() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    PERFORM twincloud.attach_guards();
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
        RETURN; -- a superuser can bypass anything anyway; its DDL (this installer's too) is not blocked
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s on %s', tg.tgname, tg.tgrelid::regclass), ', ') INTO bad
      FROM pg_catalog.pg_trigger tg
     WHERE tg.tgfoid IN ('twincloud.guard_write()'::pg_catalog.regprocedure, 'twincloud.guard_commit()'::pg_catalog.regprocedure)
       AND tg.tgenabled NOT IN ('O', 'A'); -- 'D' disabled, 'R' fires only under session_replication_role = replica
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'twincloud: the lease guard must stay enabled (%)', bad
            USING ERRCODE = 'TCL02',
                  HINT = 'The write-lease guard (docs/design.md rule 1) cannot be disabled by table owners.';
    END IF;
END
$$;

DROP EVENT TRIGGER IF EXISTS twincloud_guard_new_tables;
CREATE EVENT TRIGGER twincloud_guard_new_tables ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE', 'DROP TRIGGER', 'ALTER TRIGGER')
    EXECUTE FUNCTION twincloud.guard_new_tables();

-- Privileges: the guard belongs to the superuser that runs this script. Everyone may ask whether this
-- site may write (the API's health does); nobody else may read or change the lease, or run the
-- installer's functions. Triggers fire without an EXECUTE check, so the trigger functions need no grant.
REVOKE ALL ON SCHEMA twincloud FROM PUBLIC;
GRANT USAGE ON SCHEMA twincloud TO PUBLIC;
REVOKE ALL ON TABLE twincloud.lease, twincloud.guarded_schema, twincloud.commit_check FROM PUBLIC;
REVOKE ALL ON SEQUENCE twincloud.commit_check_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION twincloud.guard_write(), twincloud.guard_commit(), twincloud.attach_guards(),
    twincloud.guard_new_tables() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION twincloud.write_lease_problem(), twincloud.write_lease_valid(),
    twincloud.write_lease_left() TO PUBLIC;
