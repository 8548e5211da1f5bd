-- Idempotency keys are kept per caller (the token's subject, docs/api.md "Idempotency"): one
-- caller's key no longer replays to, or blocks, another caller. The claim is keyed by (caller, key)
-- and the stored request hash includes the caller.
--
-- Rows from before this migration keep caller '' (claimed by an API that did not know the caller)
-- and their caller-free hash: the API replays such a row only to a request with the same key AND
-- the same caller-free hash (the retry, across the upgrade, of a write made before it), so no write
-- is applied twice; any other request with that key is an independent write for its caller.
--
-- The column has no default once existing rows are filled: an API older than this migration,
-- should one still write against this schema, fails its claim (NOT NULL) instead of claiming a key
-- globally and overwriting other callers' rows through its "where key = ?" statements. A standby
-- gets this change by replication; an API that finds the column missing (new code, old schema:
-- after a switchover to a site upgraded while it was a standby) keeps the old global keys until
-- the migration has run (Idempotency).
alter table idempotency_key add column caller text not null default '';
alter table idempotency_key alter column caller drop default;
alter table idempotency_key drop constraint idempotency_key_pkey;
alter table idempotency_key add primary key (caller, key);
