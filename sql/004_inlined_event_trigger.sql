-- ducklake_guard 004: an event trigger that reacts when DuckLake creates tables in the catalog schema:
-- a new inlined table (ducklake_inlined_data_<t>_<v>, ducklake_inlined_delete_<t>) gets SELECT for exactly
-- the readers who see table <t>; a new catalog table (e.g. from DuckLake's 1.1 upgrade) gets its policy.
--
-- CREATE EVENT TRIGGER needs a superuser. Installed by the catalog owner alone, this file still succeeds
-- but warns: inlined tables are then granted when the ACL changes or ducklake_guard.resync() runs, and a
-- reader meets "permission denied" (never extra rows) on an inlined table created in between.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE v_owner text;
BEGIN
  IF NOT EXISTS (SELECT FROM ducklake_guard.migration WHERE version = 3) THEN
    RAISE EXCEPTION 'apply sql/003_acl_functions.sql first';
  END IF;
  SELECT value INTO v_owner FROM ducklake_guard.setting WHERE key = 'catalog_owner';
  IF v_owner <> current_user THEN EXECUTE format('SET LOCAL ROLE %I', v_owner); END IF;
END
$guard$;

CREATE OR REPLACE FUNCTION ducklake_guard.on_create_table() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_event_trigger_ddl_commands() d JOIN pg_class c ON c.oid = d.objid
            WHERE d.classid = 'pg_class'::regclass AND d.schema_name = v_schema AND c.relkind = 'r' LOOP
    BEGIN
      IF r.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$' THEN
        PERFORM ducklake_guard.sync_inlined_grants(NULL,
          ARRAY[(regexp_match(r.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint]);
      ELSIF EXISTS (SELECT FROM ducklake_guard.catalog_rule WHERE table_name = r.relname) THEN
        PERFORM ducklake_guard.protect_all();
      END IF;
    EXCEPTION WHEN OTHERS THEN
      -- Never break the writer's commit; the table simply stays unreadable for readers (fail closed).
      RAISE WARNING 'ducklake_guard could not grant/protect %.%: % (run SELECT ducklake_guard.resync() as the catalog owner)',
        v_schema, r.relname, SQLERRM;
    END;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.on_create_table() FROM PUBLIC;
RESET ROLE;

DO $guard$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    DROP EVENT TRIGGER IF EXISTS ducklake_guard_create_table;
    CREATE EVENT TRIGGER ducklake_guard_create_table ON ddl_command_end
      WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
      EXECUTE FUNCTION ducklake_guard.on_create_table();
    INSERT INTO ducklake_guard.setting VALUES ('event_trigger', 'installed')
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  ELSE
    RAISE WARNING 'not a superuser: the event trigger granting new inlined tables was not installed; run sql/004_inlined_event_trigger.sql as a superuser, or call ducklake_guard.resync() after DuckLake writes';
    INSERT INTO ducklake_guard.setting VALUES ('event_trigger', 'missing') ON CONFLICT (key) DO NOTHING;
  END IF;
END
$guard$;

INSERT INTO ducklake_guard.migration (version, name) VALUES (4, '004_inlined_event_trigger') ON CONFLICT (version) DO NOTHING;
COMMIT;
