-- ducklake_guard 001: the guard schema, its ACL and the table of pre-resolved visible ids.
--
-- Run as a superuser (recommended: the inlined-table event trigger in 004 needs one) or as the catalog
-- owner. Guard objects are owned by the catalog owner, who also owns the DuckLake catalog tables.
-- Parameters (optional, via PGOPTIONS or SET before running):
--   ducklake_guard.catalog_schema  PostgreSQL schema holding the ducklake_* tables (default: public)
--   ducklake_guard.catalog_owner   role owning the catalog (default: owner of ducklake_metadata, else
--                                  of the database, else the current user)
-- e.g. PGOPTIONS='-c ducklake_guard.catalog_schema=lake' psql -v ON_ERROR_STOP=1 -f sql/001_guard_schema.sql
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);

DO $guard$
DECLARE
  v_schema text := coalesce(nullif(current_setting('ducklake_guard.catalog_schema', true), ''), 'public');
  v_owner text := nullif(current_setting('ducklake_guard.catalog_owner', true), '');
  v_installed text;
  v_super boolean := (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
  v_db_owner boolean;
BEGIN
  IF to_regnamespace(quote_ident(v_schema)) IS NULL THEN
    RAISE EXCEPTION 'catalog schema "%" does not exist in database %', v_schema, current_database()
      USING HINT = 'Set ducklake_guard.catalog_schema to the schema holding the ducklake_* tables (DuckLake''s METADATA_SCHEMA), or create it first.';
  END IF;
  IF to_regclass('ducklake_guard.setting') IS NOT NULL THEN
    EXECUTE 'SELECT value FROM ducklake_guard.setting WHERE key = ''catalog_schema''' INTO v_installed;
    IF v_installed IS DISTINCT FROM v_schema THEN
      RAISE EXCEPTION 'the guard is already installed for catalog schema "%", not "%"', v_installed, v_schema
        USING HINT = 'One guard per database: use the installed schema, or uninstall the guard first.';
    END IF;
    EXECUTE 'SELECT value FROM ducklake_guard.setting WHERE key = ''catalog_owner''' INTO v_owner;
  END IF;
  IF v_owner IS NULL THEN
    SELECT r.rolname INTO v_owner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid = c.relowner
     WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relname = 'ducklake_metadata';
  END IF;
  IF v_owner IS NULL THEN
    SELECT r.rolname INTO v_owner FROM pg_catalog.pg_database d JOIN pg_catalog.pg_roles r ON r.oid = d.datdba
     WHERE d.datname = current_database();
  END IF;
  IF NOT v_super AND v_owner <> current_user THEN
    RAISE EXCEPTION 'the guard must be installed by a superuser or by the catalog owner "%", not "%"', v_owner, current_user;
  END IF;

  -- The shared NOLOGIN role readers are enrolled in; tolerate a concurrent creator in another database.
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ducklake_reader') THEN
    BEGIN
      CREATE ROLE ducklake_reader NOLOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
  -- The owner enrols readers (grant_read) and so needs ADMIN on the base role.
  IF NOT pg_catalog.pg_has_role(v_owner, 'ducklake_reader', 'USAGE WITH ADMIN OPTION')
     AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = v_owner) THEN
    IF NOT v_super THEN
      RAISE EXCEPTION 'catalog owner "%" lacks ADMIN OPTION on role ducklake_reader', v_owner
        USING HINT = 'Run this file as a superuser once, or: GRANT ducklake_reader TO ' || quote_ident(v_owner) || ' WITH ADMIN OPTION;';
    END IF;
    EXECUTE format('GRANT ducklake_reader TO %I WITH ADMIN OPTION', v_owner);
  END IF;

  -- Database-wide settings only the database owner or a superuser can change: readers must not create
  -- temporary objects, and JIT turns millisecond catalog queries into seconds (MEASURED.md).
  v_db_owner := v_super OR EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = current_database()
                                    AND pg_catalog.pg_has_role(datdba, 'USAGE'));
  IF v_db_owner THEN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY, CONNECT ON DATABASE %I TO %I', current_database(), v_owner);
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
  ELSE
    RAISE WARNING 'not the database owner: TEMPORARY stays granted to PUBLIC and jit stays on; ask the database owner to run: REVOKE TEMPORARY ON DATABASE % FROM PUBLIC; ALTER DATABASE % SET jit = off;',
      quote_ident(current_database()), quote_ident(current_database());
  END IF;

  -- Everything below is created as, and owned by, the catalog owner.
  IF v_owner <> current_user THEN
    EXECUTE format('SET LOCAL ROLE %I', v_owner);
  END IF;
  CREATE SCHEMA IF NOT EXISTS ducklake_guard;
  PERFORM set_config('ducklake_guard.install_schema', v_schema, true);
  PERFORM set_config('ducklake_guard.install_owner', v_owner, true);
END
$guard$;

REVOKE ALL ON SCHEMA ducklake_guard FROM PUBLIC;

-- Applied migrations (installGuard and DBAs read this to know what to apply next).
CREATE TABLE IF NOT EXISTS ducklake_guard.migration (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by name NOT NULL DEFAULT session_user
);

CREATE TABLE IF NOT EXISTS ducklake_guard.setting (
  key text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO ducklake_guard.setting VALUES
  ('catalog_schema', current_setting('ducklake_guard.install_schema')),
  ('catalog_owner', current_setting('ducklake_guard.install_owner'))
ON CONFLICT (key) DO NOTHING;

-- The ACL: who may read which DuckLake schema or table. Names are what was granted; ids are pinned at
-- grant time so a dropped and re-created table of the same name is NOT granted again.
CREATE TABLE IF NOT EXISTS ducklake_guard.acl (
  reader name NOT NULL,
  reader_oid oid NOT NULL,
  schema_name text NOT NULL,
  table_name text,
  schema_id bigint NOT NULL,
  table_id bigint,
  granted_at timestamptz NOT NULL DEFAULT now(),
  granted_by name NOT NULL DEFAULT session_user,
  CONSTRAINT acl_one_grant UNIQUE NULLS NOT DISTINCT (reader, schema_name, table_name)
);

-- Grants resolved to catalog ids, keyed by role oid (a re-created role of the same name has a new oid
-- and inherits nothing). kind: s = schema, t = table, v = view, m = macro.
CREATE TABLE IF NOT EXISTS ducklake_guard.visible (
  role_oid oid NOT NULL,
  kind "char" NOT NULL CHECK (kind IN ('s', 't', 'v', 'm')),
  object_id bigint NOT NULL,
  PRIMARY KEY (role_oid, kind, object_id)
);

-- Readers may read only their own visible ids; nobody but the owner touches the rest.
ALTER TABLE ducklake_guard.acl ENABLE ROW LEVEL SECURITY;
ALTER TABLE ducklake_guard.visible ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_rows ON ducklake_guard.visible;
CREATE POLICY own_rows ON ducklake_guard.visible FOR SELECT TO ducklake_reader
  USING (role_oid = pg_catalog.to_regrole(pg_catalog.quote_ident(current_user))::oid);
REVOKE ALL ON ducklake_guard.migration, ducklake_guard.setting, ducklake_guard.acl, ducklake_guard.visible FROM PUBLIC;
GRANT USAGE ON SCHEMA ducklake_guard TO ducklake_reader;
GRANT SELECT ON ducklake_guard.visible TO ducklake_reader;

-- How many tables each role sees, kept by triggers on `visible`: the table rule (002) hashes all visible ids
-- per statement up to 1,000 of them and probes `visible`'s key per row beyond (a reader of 10,000 tables
-- would otherwise rebuild a 10,000-id hash on every file listing, ~3.5 ms). Readers see only their own count.
CREATE TABLE IF NOT EXISTS ducklake_guard.visible_count (
  role_oid oid PRIMARY KEY,
  tables bigint NOT NULL
);
ALTER TABLE ducklake_guard.visible_count ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_row ON ducklake_guard.visible_count;
CREATE POLICY own_row ON ducklake_guard.visible_count FOR SELECT TO ducklake_reader
  USING (role_oid = pg_catalog.to_regrole(pg_catalog.quote_ident(current_user))::oid);
REVOKE ALL ON ducklake_guard.visible_count FROM PUBLIC;
GRANT SELECT ON ducklake_guard.visible_count TO ducklake_reader;

-- Recounts the visible tables of every role a statement on `visible` touched (both triggers name their
-- transition table changed_rows: the inserted rows, or the deleted ones).
CREATE OR REPLACE FUNCTION ducklake_guard.recount_visible() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  INSERT INTO ducklake_guard.visible_count (role_oid, tables)
    SELECT r.role_oid, (SELECT count(*) FROM ducklake_guard.visible v WHERE v.role_oid = r.role_oid AND v.kind = 't')
      FROM (SELECT DISTINCT role_oid FROM changed_rows) r
    ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.recount_visible() FROM PUBLIC;
DROP TRIGGER IF EXISTS recount_after_insert ON ducklake_guard.visible;
CREATE TRIGGER recount_after_insert AFTER INSERT ON ducklake_guard.visible
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.recount_visible();
DROP TRIGGER IF EXISTS recount_after_delete ON ducklake_guard.visible;
CREATE TRIGGER recount_after_delete AFTER DELETE ON ducklake_guard.visible
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.recount_visible();

INSERT INTO ducklake_guard.visible_count (role_oid, tables)
  SELECT role_oid, count(*) FILTER (WHERE kind = 't') FROM ducklake_guard.visible GROUP BY role_oid
  ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;

INSERT INTO ducklake_guard.migration (version, name) VALUES (1, '001_guard_schema') ON CONFLICT (version) DO NOTHING;
COMMIT;
