-- ducklake_guard 007: every reader sees DuckLake's default schema `main` (the row only, not its contents).
--
-- Found with the real DuckDB client: the schema rule of 002 shows a schema only when something in it is
-- granted, so a reader without a grant in `main` lost it, and with it DuckDB's default schema of the
-- attached lake: `USE lake` failed ("No catalog + schema named "lake" found") and DuckLake's functions
-- that live there (lake.snapshots(), lake.table_info(), lake.current_snapshot(), …) did not exist.
-- The schema row names nothing secret (every DuckLake has it: id, uuid, name `main`, path `main/`).
-- Its contents keep their own rules: tables in `main` by table id, views and macros only when `main` is
-- granted whole, tags and schema-scoped settings of `main` only for readers who can see something in it.
--
-- Applies on top of 005 or later: the installed rule_predicate (whatever version) is kept as the base and
-- the new rule is added in front of it, so functions other migrations define are not replaced here.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE v_owner text;
BEGIN
  IF NOT EXISTS (SELECT FROM ducklake_guard.migration WHERE version = 5) THEN
    RAISE EXCEPTION 'apply sql/005_acl_change_log.sql first';
  END IF;
  SELECT value INTO v_owner FROM ducklake_guard.setting WHERE key = 'catalog_owner';
  IF v_owner <> current_user THEN EXECUTE format('SET LOCAL ROLE %I', v_owner); END IF;
  IF to_regprocedure('ducklake_guard.rule_predicate_base(text, text)') IS NULL THEN
    ALTER FUNCTION ducklake_guard.rule_predicate(text, text) RENAME TO rule_predicate_base;
  END IF;
END
$guard$;

-- The 'schema' rule, plus DuckLake's default schema (DuckDB's default schema name `main`). Re-applying an
-- older file that redefines rule_predicate only drops this addition (fail closed) until 007 runs again.
CREATE OR REPLACE FUNCTION ducklake_guard.rule_predicate(rule text, catalog_schema text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT CASE rule
    WHEN 'schema' THEN '(' || ducklake_guard.rule_predicate_base('schema', catalog_schema) || ') OR schema_name = ''main'''
    ELSE ducklake_guard.rule_predicate_base(rule, catalog_schema)
  END
$$;
REVOKE ALL ON FUNCTION ducklake_guard.rule_predicate(text, text), ducklake_guard.rule_predicate_base(text, text) FROM PUBLIC;

UPDATE ducklake_guard.catalog_rule
   SET why = 'a schema is visible when the reader can see something in it; DuckLake''s default schema main always (its row only: DuckDB needs it to USE the lake and for DuckLake''s functions)'
 WHERE table_name = 'ducklake_schema';

SELECT ducklake_guard.protect_catalog();

INSERT INTO ducklake_guard.migration (version, name) VALUES (7, '007_default_schema_visible') ON CONFLICT (version) DO NOTHING;
COMMIT;
