-- ducklake_guard 005: an append-only change log of the ACL (who granted or revoked what, when, from which
-- session), written by triggers on ducklake_guard.acl, so grant_read/revoke_read, the providers, the
-- UndeclaredAcl sweep, re-pinning and hand edits of the table are all logged the same way.
--
-- An audit aid, not tamper-proof: the catalog owner (and any superuser) can disable the append-only trigger
-- and rewrite the log. For a record the owner cannot rewrite, use PostgreSQL's own log (log_statement = 'ddl'
-- or 'mod' with %p and %x in log_line_prefix: the backend_pid and txid::xid of each row below).
-- resync() and protect_all() never write the ACL, so they log nothing; an idempotent grant_read logs nothing.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE v_owner text;
BEGIN
  IF NOT EXISTS (SELECT FROM ducklake_guard.migration WHERE version = 4) THEN
    RAISE EXCEPTION 'apply sql/004_inlined_event_trigger.sql first';
  END IF;
  SELECT value INTO v_owner FROM ducklake_guard.setting WHERE key = 'catalog_owner';
  IF v_owner <> current_user THEN EXECUTE format('SET LOCAL ROLE %I', v_owner); END IF;
  -- Entries granted before the log existed are recorded once, as 'baseline', when the table is created.
  PERFORM set_config('ducklake_guard.acl_log_created', (to_regclass('ducklake_guard.acl_log') IS NULL)::text, true);
END
$guard$;

-- One row per changed ACL entry. The entry columns are the entry as it is after a grant or update, and as it
-- was before a revoke; `previous` holds the whole entry before an update (re-pinned ids, a renamed role…).
CREATE TABLE IF NOT EXISTS ducklake_guard.acl_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
  session_user_name name NOT NULL DEFAULT session_user,
  current_user_name name NOT NULL DEFAULT current_user,
  application_name text DEFAULT nullif(pg_catalog.current_setting('application_name', true), ''),
  client_addr inet DEFAULT pg_catalog.inet_client_addr(),
  backend_pid integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
  action text NOT NULL CHECK (action IN ('grant', 'revoke', 'update', 'baseline')),
  reader name NOT NULL,
  reader_oid oid NOT NULL,
  schema_name text NOT NULL,
  table_name text,
  schema_id bigint NOT NULL,
  table_id bigint,
  granted_at timestamptz,
  granted_by name,
  previous jsonb
);

-- Nobody but the owner: not PUBLIC, not readers, not a role that default privileges handed something to (the
-- BYPASSRLS writer, say). RLS without a policy hides every row from any non-owner granted SELECT by mistake.
REVOKE ALL ON ducklake_guard.acl_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE ducklake_guard.acl_log_id_seq FROM PUBLIC;
DO $guard$
DECLARE g record;
BEGIN
  FOR g IN SELECT DISTINCT c.oid::regclass AS rel, a.grantee::regrole AS grantee
             FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
            WHERE c.oid IN ('ducklake_guard.acl_log'::regclass, 'ducklake_guard.acl_log_id_seq'::regclass)
              AND a.grantee <> c.relowner AND a.grantee <> 0 LOOP
    EXECUTE format('REVOKE ALL ON %s FROM %s', g.rel, g.grantee);
  END LOOP;
END
$guard$;
ALTER TABLE ducklake_guard.acl_log ENABLE ROW LEVEL SECURITY;

-- Runs as whoever changes the ACL (not SECURITY DEFINER), so current_user is the real one: the catalog owner
-- inside grant_read/revoke_read, the editing role for a hand edit. A role that may edit the ACL but not
-- append to the log gets "permission denied" and its edit is refused: no change goes unlogged.
CREATE OR REPLACE FUNCTION ducklake_guard.log_acl_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE e record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    -- BEFORE TRUNCATE: every entry is about to go; log each as revoked.
    INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by)
      SELECT 'revoke', a.reader, a.reader_oid, a.schema_name, a.table_name, a.schema_id, a.table_id, a.granted_at, a.granted_by
        FROM ducklake_guard.acl a ORDER BY a.reader, a.schema_name, a.table_name NULLS FIRST;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN e := OLD; ELSE e := NEW; END IF;
  INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by, previous)
    VALUES (CASE TG_OP WHEN 'INSERT' THEN 'grant' WHEN 'DELETE' THEN 'revoke' ELSE 'update' END,
            e.reader, e.reader_oid, e.schema_name, e.table_name, e.schema_id, e.table_id, e.granted_at, e.granted_by,
            CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END);
  RETURN NULL;
END
$$;

-- Refuses UPDATE, DELETE and TRUNCATE on the log, even for the owner (against accidents, not against the owner).
CREATE OR REPLACE FUNCTION ducklake_guard.acl_log_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'ducklake_guard.acl_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege',
    HINT = 'It is the change log of the catalog ACL. To prune it on purpose, the catalog owner disables the trigger first: ALTER TABLE ducklake_guard.acl_log DISABLE TRIGGER USER (see docs/catalog-guard.md).';
END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.log_acl_change(), ducklake_guard.acl_log_append_only() FROM PUBLIC;

CREATE OR REPLACE TRIGGER log_insert_delete AFTER INSERT OR DELETE ON ducklake_guard.acl
  FOR EACH ROW EXECUTE FUNCTION ducklake_guard.log_acl_change();
-- grant_read only updates an entry whose pinned ids changed; a hand UPDATE that changes nothing is not logged.
CREATE OR REPLACE TRIGGER log_update AFTER UPDATE ON ducklake_guard.acl
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ducklake_guard.log_acl_change();
CREATE OR REPLACE TRIGGER log_truncate BEFORE TRUNCATE ON ducklake_guard.acl
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.log_acl_change();
CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON ducklake_guard.acl_log
  FOR EACH ROW EXECUTE FUNCTION ducklake_guard.acl_log_append_only();
CREATE OR REPLACE TRIGGER append_only_truncate BEFORE TRUNCATE ON ducklake_guard.acl_log
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.acl_log_append_only();

INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by)
  SELECT 'baseline',
         a.reader, a.reader_oid, a.schema_name, a.table_name, a.schema_id, a.table_id, a.granted_at, a.granted_by
    FROM ducklake_guard.acl a
   WHERE pg_catalog.current_setting('ducklake_guard.acl_log_created') = 'true'
   ORDER BY a.reader, a.schema_name, a.table_name NULLS FIRST;

INSERT INTO ducklake_guard.migration (version, name) VALUES (5, '005_acl_change_log') ON CONFLICT (version) DO NOTHING;
COMMIT;
