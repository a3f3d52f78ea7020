-- ducklake_guard 005: readers who see many tables.
--
-- The table rule's hashed sub-plan is built once per statement from all of the reader's visible table ids.
-- Up to ~1,000 ids that is cheap; a reader granted big schemas (10,000 tables) would pay ~3.5 ms on every
-- per-table file listing. A per-role count, kept by triggers on `visible`, lets the policy switch such
-- readers to a per-row probe of visible's primary key (cost per returned row, not per visible id). Both
-- branches test the same set. Readers may read only their own count.
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
END
$guard$;

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

-- Recounts the visible tables of every role a statement on `visible` touched.
CREATE OR REPLACE FUNCTION ducklake_guard.recount_visible() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ducklake_guard.visible_count (role_oid, tables)
      SELECT r.role_oid, (SELECT count(*) FROM ducklake_guard.visible v WHERE v.role_oid = r.role_oid AND v.kind = 't')
        FROM (SELECT DISTINCT role_oid FROM changed_rows) r
      ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;
  ELSE
    INSERT INTO ducklake_guard.visible_count (role_oid, tables)
      SELECT r.role_oid, (SELECT count(*) FROM ducklake_guard.visible v WHERE v.role_oid = r.role_oid AND v.kind = 't')
        FROM (SELECT DISTINCT role_oid FROM removed_rows) r
      ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.recount_visible() FROM PUBLIC;
DROP TRIGGER IF EXISTS recount_after_insert ON ducklake_guard.visible;
CREATE TRIGGER recount_after_insert AFTER INSERT ON ducklake_guard.visible
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.recount_visible();
DROP TRIGGER IF EXISTS recount_after_delete ON ducklake_guard.visible;
CREATE TRIGGER recount_after_delete AFTER DELETE ON ducklake_guard.visible
  REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.recount_visible();

INSERT INTO ducklake_guard.visible_count (role_oid, tables)
  SELECT role_oid, count(*) FILTER (WHERE kind = 't') FROM ducklake_guard.visible GROUP BY role_oid
  ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;

-- The table rule as of this migration; every other rule as in 002.
CREATE OR REPLACE FUNCTION ducklake_guard.rule_predicate(rule text, catalog_schema text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
  me constant text := 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid';
BEGIN
  RETURN CASE rule
    WHEN 'global' THEN 'true'
    WHEN 'hidden' THEN 'false'
    -- (`table_id` inside the probe is the catalog table's column: visible has no column of that name.)
    WHEN 'table' THEN 'CASE WHEN (SELECT c.tables FROM ducklake_guard.visible_count c WHERE c.role_oid = ' || me || ') > 1000'
      || ' THEN (SELECT true FROM ducklake_guard.visible v WHERE v.role_oid = ' || me
      || ' AND v.kind = ''t'' AND v.object_id = table_id) IS NOT NULL'
      || ' ELSE table_id IN ' || ducklake_guard.visible_ids_sql('t') || ' END'
    WHEN 'table_or_null' THEN 'table_id IS NULL OR table_id IN ' || ducklake_guard.visible_ids_sql('t')
    WHEN 'schema' THEN 'schema_id IN ' || ducklake_guard.visible_ids_sql('s')
    WHEN 'view' THEN 'view_id IN ' || ducklake_guard.visible_ids_sql('v')
    WHEN 'macro' THEN 'macro_id IN ' || ducklake_guard.visible_ids_sql('m')
    WHEN 'tag' THEN 'object_id IN ' || ducklake_guard.visible_ids_sql('stv')
    WHEN 'metadata' THEN 'scope IS NULL OR (scope = ''schema'' AND scope_id IN ' || ducklake_guard.visible_ids_sql('s')
                         || ') OR (scope = ''table'' AND scope_id IN ' || ducklake_guard.visible_ids_sql('t') || ')'
    WHEN 'name_mapping' THEN format('mapping_id IN (SELECT m.mapping_id FROM %I.ducklake_column_mapping m)', catalog_schema)
  END;
END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.rule_predicate(text, text) FROM PUBLIC;

SELECT ducklake_guard.protect_catalog();

INSERT INTO ducklake_guard.migration (version, name) VALUES (5, '005_large_grants') ON CONFLICT (version) DO NOTHING;
COMMIT;
