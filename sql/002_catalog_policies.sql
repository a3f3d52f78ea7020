-- ducklake_guard 002: row-level security on every DuckLake catalog table (spec 1.0 + 1.1-dev), keyed on
-- ids, plus indexes on the link columns DuckLake does not index itself.
--
-- One rule per catalog table, applied by protect_catalog(). A reader sees a row only when its id is in
-- the reader's own rows of ducklake_guard.visible; the lookup is an uncorrelated sub-select, so
-- PostgreSQL runs it once per statement (a hashed sub-plan or an index probe), never per row, and no
-- function is called from a policy.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE v_owner text;
BEGIN
  IF to_regclass('ducklake_guard.migration') IS NULL THEN
    RAISE EXCEPTION 'apply sql/001_guard_schema.sql first';
  END IF;
  SELECT value INTO v_owner FROM ducklake_guard.setting WHERE key = 'catalog_owner';
  IF v_owner <> current_user THEN EXECUTE format('SET LOCAL ROLE %I', v_owner); END IF;
END
$guard$;

-- How each catalog table is protected. rule names are expanded by ducklake_guard.rule_predicate().
CREATE TABLE IF NOT EXISTS ducklake_guard.catalog_rule (
  table_name text PRIMARY KEY,
  rule text NOT NULL,
  indexes text[] NOT NULL DEFAULT '{}',
  why text NOT NULL
);
REVOKE ALL ON ducklake_guard.catalog_rule FROM PUBLIC;

INSERT INTO ducklake_guard.catalog_rule (table_name, rule, indexes, why) VALUES
  ('ducklake_metadata', 'metadata', '{"scope_id"}', 'global rows (data_path, version, encrypted) stay visible; schema/table-scoped settings follow scope_id'),
  ('ducklake_snapshot', 'global', '{}', 'every reader needs the snapshot list; it names no object'),
  ('ducklake_snapshot_changes', 'hidden', '{}', 'changes_made names schemas and tables; readers do not need it'),
  ('ducklake_schema', 'schema', '{}', 'a schema is visible when the reader can see something in it'),
  ('ducklake_table', 'table', '{"table_id","schema_id"}', 'granted table ids'),
  ('ducklake_view', 'view', '{"view_id","schema_id"}', 'views of schemas granted whole'),
  ('ducklake_tag', 'tag', '{"object_id"}', 'object_id is a schema, table or view id'),
  ('ducklake_column_tag', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_data_file', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_file_column_stats', 'table', '{"table_id,column_id","data_file_id"}', 'by table_id'),
  ('ducklake_file_variant_stats', 'table', '{"table_id","data_file_id"}', 'by table_id'),
  ('ducklake_delete_file', 'table', '{"table_id","data_file_id"}', 'by table_id: hiding deletes of a visible table would resurrect deleted rows'),
  ('ducklake_column', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_table_stats', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_table_column_stats', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_partition_info', 'table', '{"table_id"}', 'by table_id: a hidden table''s partition rows break the reader''s catalog load'),
  ('ducklake_partition_column', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_file_partition_value', 'table', '{"table_id","data_file_id"}', 'by table_id'),
  ('ducklake_files_scheduled_for_deletion', 'hidden', '{}', 'paths of any table; only maintenance (owner) needs it'),
  ('ducklake_inlined_data_tables', 'table', '{"table_id"}', 'by table_id; the inlined tables themselves get per-reader GRANTs'),
  ('ducklake_column_mapping', 'table', '{"table_id","mapping_id"}', 'by table_id'),
  ('ducklake_name_mapping', 'name_mapping', '{"mapping_id"}', 'through its parent ducklake_column_mapping'),
  ('ducklake_schema_versions', 'table_or_null', '{"table_id"}', 'by table_id (rows without one are pre-0.4 global versions)'),
  ('ducklake_macro', 'macro', '{"macro_id","schema_id"}', 'macros of schemas granted whole'),
  ('ducklake_macro_impl', 'macro', '{"macro_id"}', 'through macro_id'),
  ('ducklake_macro_parameters', 'macro', '{"macro_id"}', 'through macro_id'),
  ('ducklake_sort_info', 'table', '{"table_id"}', 'by table_id: like partitions, must match the visible tables'),
  ('ducklake_sort_expression', 'table', '{"table_id"}', 'by table_id'),
  ('ducklake_view_column_tag', 'view', '{"view_id"}', '1.1-dev: by view_id')
ON CONFLICT (table_name) DO NOTHING;

-- The uncorrelated sub-select listing the current role's visible ids of the given kinds.
CREATE OR REPLACE FUNCTION ducklake_guard.visible_ids_sql(kinds text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT '(SELECT v.object_id FROM ducklake_guard.visible v WHERE v.role_oid = '
      || 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid AND v.kind '
      || CASE WHEN length(kinds) = 1 THEN '= ' || quote_literal(kinds)
              ELSE '= ANY (' || quote_literal('{' || array_to_string(string_to_array(kinds, NULL), ',') || '}') || '::"char"[])' END
      || ')'
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.rule_predicate(rule text, catalog_schema text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
  me constant text := 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid';
BEGIN
  RETURN CASE rule
    WHEN 'global' THEN 'true'
    WHEN 'hidden' THEN 'false'
    -- Both branches test the same set (see visible_count in 001); `table_id` inside the probe is the catalog
    -- table's column: visible has no column of that name.
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

-- Applies the rules to every catalog table that exists (idempotent). Run by the migrations, and by the
-- event trigger when DuckLake creates a catalog table later (e.g. its 1.1 upgrade).
CREATE OR REPLACE FUNCTION ducklake_guard.protect_catalog() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
  v_schema text := (SELECT value FROM ducklake_guard.setting WHERE key = 'catalog_schema');
  v_owner text := (SELECT value FROM ducklake_guard.setting WHERE key = 'catalog_owner');
  r record;
  v_cols text;
  v_table_owner text;
  n integer := 0;
BEGIN
  FOR r IN SELECT cr.*, c.oid AS rel FROM ducklake_guard.catalog_rule cr
             JOIN pg_class c ON c.relname = cr.table_name AND c.relnamespace = to_regnamespace(quote_ident(v_schema))
            WHERE c.relkind = 'r' ORDER BY cr.table_name LOOP
    SELECT rolname INTO v_table_owner FROM pg_roles WHERE oid = (SELECT relowner FROM pg_class WHERE oid = r.rel);
    IF v_table_owner <> v_owner THEN
      RAISE EXCEPTION 'catalog table %.% is owned by "%", not by the catalog owner "%"', v_schema, r.table_name, v_table_owner, v_owner
        USING HINT = format('ALTER TABLE %I.%I OWNER TO %I; (DuckLake must write as the catalog owner)', v_schema, r.table_name, v_owner);
    END IF;
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', v_schema, r.table_name);
    EXECUTE format('DROP POLICY IF EXISTS ducklake_guard_read ON %I.%I', v_schema, r.table_name);
    EXECUTE format('CREATE POLICY ducklake_guard_read ON %I.%I FOR SELECT TO ducklake_reader USING (%s)',
                   v_schema, r.table_name, ducklake_guard.rule_predicate(r.rule, v_schema));
    EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC, ducklake_reader', v_schema, r.table_name);
    EXECUTE format('GRANT SELECT ON %I.%I TO ducklake_reader', v_schema, r.table_name);
    FOREACH v_cols IN ARRAY r.indexes LOOP
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I (%s)',
                     left('ducklake_guard_' || r.table_name || '_' || replace(v_cols, ',', '_'), 63),
                     v_schema, r.table_name,
                     (SELECT string_agg(quote_ident(c), ', ') FROM unnest(string_to_array(v_cols, ',')) c));
    END LOOP;
    n := n + 1;
  END LOOP;
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', v_schema);
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO ducklake_reader', v_schema);
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.visible_ids_sql(text), ducklake_guard.rule_predicate(text, text),
  ducklake_guard.protect_catalog() FROM PUBLIC;

SELECT ducklake_guard.protect_catalog();

INSERT INTO ducklake_guard.migration (version, name) VALUES (2, '002_catalog_policies') ON CONFLICT (version) DO NOTHING;
COMMIT;
