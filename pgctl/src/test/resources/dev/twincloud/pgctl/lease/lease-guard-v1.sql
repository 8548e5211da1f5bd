-- The guard as released before the commit-time check (statement trigger only): LeaseGuardTest upgrades from it.
-- A write to an application table commits only while this site holds a valid lease, judged by the
-- database's own clock, so a dead agent, a partitioned site or a stray client cannot write once the
-- lease has run out.
CREATE SCHEMA IF NOT EXISTS twincloud;

CREATE TABLE IF NOT EXISTS twincloud.lease (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch       bigint      NOT NULL,
    site        text        NOT NULL,
    valid_until timestamptz NOT NULL,
    epoch_floor bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Schemas whose tables are guarded; the agent fills it from its configuration.
CREATE TABLE IF NOT EXISTS twincloud.guarded_schema (
    name text PRIMARY KEY
);

-- NULL when this site may write now, else why not. The site name comes from the server setting
-- twincloud.site, so a lease row replicated from the other site never authorizes local writes.
CREATE OR REPLACE FUNCTION twincloud.write_lease_problem() RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    l  twincloud.lease;
    me text := current_setting('twincloud.site', true);
BEGIN
    IF me IS NULL OR me = '' THEN
        RETURN 'the server setting twincloud.site is not set';
    END IF;
    SELECT * INTO l FROM twincloud.lease WHERE singleton;
    IF NOT FOUND THEN
        RETURN 'no write lease has been granted to this site';
    END IF;
    IF l.site <> me THEN
        RETURN format('the lease belongs to site %s, this is site %s', l.site, me);
    END IF;
    IF l.epoch < l.epoch_floor THEN
        RETURN format('lease epoch %s is older than epoch %s', l.epoch, l.epoch_floor);
    END IF;
    IF l.valid_until <= clock_timestamp() THEN
        RETURN format('the lease of epoch %s ended at %s', l.epoch, l.valid_until);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION twincloud.write_lease_valid() RETURNS boolean
    LANGUAGE sql STABLE AS $$ SELECT twincloud.write_lease_problem() IS NULL $$;

CREATE OR REPLACE FUNCTION twincloud.guard_write() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    problem text := twincloud.write_lease_problem();
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'twincloud: writes are fenced on this site: %', problem
            USING ERRCODE = 'TCL01',
                  HINT = 'The service is failing over or this site is not the writer; retry shortly.';
    END IF;
    RETURN NULL;
END
$$;

-- Attach the statement-level guard to every ordinary table of the guarded schemas.
CREATE OR REPLACE FUNCTION twincloud.attach_guards() RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    FOR t IN
        SELECT c.oid::regclass AS rel
        FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND ns.nspname IN (SELECT name FROM twincloud.guarded_schema)
          AND c.relname <> 'flyway_schema_history'
          AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND tg.tgname = 'twincloud_guard')
    LOOP
        EXECUTE format('CREATE TRIGGER twincloud_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION twincloud.guard_write()', t.rel);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- New tables (e.g. from the API's migrations) are guarded the moment they are created.
CREATE OR REPLACE FUNCTION twincloud.guard_new_tables() RETURNS event_trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM twincloud.attach_guards();
END
$$;

DROP EVENT TRIGGER IF EXISTS twincloud_guard_new_tables;
CREATE EVENT TRIGGER twincloud_guard_new_tables ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
    EXECUTE FUNCTION twincloud.guard_new_tables();
