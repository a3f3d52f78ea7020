-- ducklake_guard 007: partition (row-level) grants.
--
-- A partition grant gives a reader one DuckLake table, but only the rows whose partition keys take one of the
-- granted values (AND across keys, OR within a key's list; several grants of one reader on one table add up).
-- The reader sees the table's definition (table, columns, partition specs, table-scoped settings) like a table
-- grant, and of the table's files only those whose own spec (`partition_id`) records matching values: their
-- ducklake_data_file, ducklake_file_partition_value, ducklake_file_column_stats, ducklake_file_variant_stats and
-- ducklake_delete_file rows. Files without a partition_id never match. The filter is per file, so older snapshots'
-- files of other partitions stay hidden too. Inlined rows are filtered by their column values, inlined deletes by
-- their file. Table-level statistics (ducklake_table_stats, ducklake_table_column_stats) summarize every
-- partition and are hidden from partition readers (DuckDB reads without them: partitionGuard.duckdb.test.ts).
--
-- 1. ducklake_guard.partition_acl: one row per partition grant (ids pinned at grant time, like acl), changed by
--    grant_rows/revoke_rows or by hand; logged to acl_log (new column `rows`) and enforced by the same statement
--    triggers and lock as acl (006).
-- 2. `visible` gets two kinds: 'p' (a table seen through partition grants: its definition) and 'f' (a data file).
--    'f' is extended by a statement trigger when DuckLake records new files' partition values; nothing is
--    resolved per query.
-- 3. ducklake_guard.visible_rows: each reader's granted keys, readable by that reader only; the row filter of
--    inlined tables reads it.
-- 4. Inlined tables get row-level security with a fixed policy: readers of the whole table see every row, readers
--    with partition grants the rows whose values fall in their partitions. Only the table's owner (the role that
--    created it: DuckLake's writer) or a superuser may enable it, so a superuser-installed event trigger does it
--    at creation; the guard itself does it for tables the catalog owner owns, and for the writer's when the owner
--    is a member of the writer (GRANT <writer> TO <owner>: no superuser needed; the commit trigger of the next
--    migration does it at COMMIT). A partition reader gets SELECT only on inlined tables that carry the filter
--    (fail closed otherwise; enforcement_drift names the rest).
--
-- Run as a superuser or as the catalog owner (then the owner must be a member of the writer for 4); safe to re-run.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
-- This migration's version, the one place it is written (the previous one must be applied).
SELECT pg_catalog.set_config('ducklake_guard.this_version', '7', true);
DO $guard$
DECLARE
  v_owner text;
  v_this integer := pg_catalog.current_setting('ducklake_guard.this_version')::integer;
  v_guard_owner oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'ducklake_guard');
BEGIN
  IF pg_catalog.to_regclass('ducklake_guard.migration') IS NULL THEN
    RAISE EXCEPTION 'apply the guard migrations before % first (sql/00%_*.sql)', v_this, v_this - 1;
  END IF;
  -- The caller may be a superuser or the admin: read only plain tables of the guard schema's owner (the catalog
  -- owner), never through a view or child table it could have put there to run its code as the caller.
  IF EXISTS (SELECT FROM pg_catalog.pg_class c
              WHERE c.oid IN (pg_catalog.to_regclass('ducklake_guard.migration'), pg_catalog.to_regclass('ducklake_guard.setting'))
                AND (c.relkind <> 'r' OR c.relowner <> v_guard_owner))
     OR pg_catalog.to_regclass('ducklake_guard.setting') IS NULL THEN
    RAISE EXCEPTION 'ducklake_guard.setting and ducklake_guard.migration must be plain tables owned by the owner of schema ducklake_guard (the catalog owner); refusing to read them'
      USING HINT = 'Someone replaced a guard table: inspect the schema ducklake_guard before re-running the migrations.';
  END IF;
  IF NOT EXISTS (SELECT FROM ONLY ducklake_guard.migration m WHERE m.version = v_this - 1) THEN
    RAISE EXCEPTION 'apply the guard migrations before % first (sql/00%_*.sql)', v_this, v_this - 1;
  END IF;
  SELECT s.value INTO v_owner FROM ONLY ducklake_guard.setting s WHERE s.key = 'catalog_owner';
  IF pg_catalog.to_regrole(pg_catalog.quote_ident(v_owner)) IS DISTINCT FROM v_guard_owner THEN
    RAISE EXCEPTION 'setting catalog_owner (%) is not the owner of schema ducklake_guard', v_owner;
  END IF;
  IF v_owner <> current_user THEN EXECUTE pg_catalog.format('SET LOCAL ROLE %I', v_owner); END IF;
END
$guard$;

-- ---- Tables -------------------------------------------------------------------------------------------------

-- 'p': a table seen through partition grants (its definition, not its files); 'f': one data file.
DO $guard$
DECLARE c record;
BEGIN
  FOR c IN SELECT con.conname FROM pg_catalog.pg_constraint con
            WHERE con.conrelid = 'ducklake_guard.visible'::pg_catalog.regclass AND con.contype = 'c' LOOP
    EXECUTE pg_catalog.format('ALTER TABLE ducklake_guard.visible DROP CONSTRAINT %I', c.conname);
  END LOOP;
END
$guard$;
ALTER TABLE ducklake_guard.visible ADD CONSTRAINT visible_kind_check CHECK (kind IN ('s', 't', 'v', 'm', 'p', 'f'));

-- One row per partition grant. `rows` is the canonical filter ([{column, transform, values}], keys sorted by
-- their DDL form, values null first, then integers by value, then text); column_ids pins each key's column.
CREATE TABLE IF NOT EXISTS ducklake_guard.partition_acl (
  id bigserial PRIMARY KEY,
  reader name NOT NULL,
  reader_oid oid NOT NULL,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  schema_id bigint NOT NULL,
  table_id bigint NOT NULL,
  rows jsonb NOT NULL CHECK (jsonb_typeof(rows) = 'array' AND jsonb_array_length(rows) > 0),
  column_ids bigint[] NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  granted_by name NOT NULL DEFAULT session_user,
  CONSTRAINT partition_acl_one_grant UNIQUE (reader, schema_name, table_name, rows),
  CONSTRAINT partition_acl_key_ids CHECK (cardinality(column_ids) = jsonb_array_length(rows))
);
CREATE INDEX IF NOT EXISTS partition_acl_table_id ON ducklake_guard.partition_acl (table_id);
ALTER TABLE ducklake_guard.partition_acl ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON ducklake_guard.partition_acl FROM PUBLIC;
REVOKE ALL ON SEQUENCE ducklake_guard.partition_acl_id_seq FROM PUBLIC;

-- Each reader's granted keys (one row per key of each partition grant), for the inlined-row filter.
CREATE TABLE IF NOT EXISTS ducklake_guard.visible_rows (
  role_oid oid NOT NULL,
  table_id bigint NOT NULL,
  grant_id bigint NOT NULL,
  column_name text NOT NULL,
  column_id bigint NOT NULL,
  transform text NOT NULL,
  vals text[] NOT NULL,       -- the granted values except NULL
  has_null boolean NOT NULL,  -- NULL (the __HIVE_DEFAULT_PARTITION__) is granted
  hexes text[] NOT NULL,      -- vals as bytea text ('\x…' of their UTF-8): how to_jsonb renders an inlined VARCHAR
  PRIMARY KEY (role_oid, table_id, grant_id, column_id, transform)
);
ALTER TABLE ducklake_guard.visible_rows ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_rows ON ducklake_guard.visible_rows;
CREATE POLICY own_rows ON ducklake_guard.visible_rows FOR SELECT TO ducklake_reader
  USING (role_oid = pg_catalog.to_regrole(pg_catalog.quote_ident(current_user))::oid);
REVOKE ALL ON ducklake_guard.visible_rows FROM PUBLIC;
GRANT SELECT ON ducklake_guard.visible_rows TO ducklake_reader;

ALTER TABLE ducklake_guard.acl_log ADD COLUMN IF NOT EXISTS rows jsonb;

-- ---- The filter: validation and canonical form --------------------------------------------------------------

-- Checks the shape of a filter and returns its canonical form (order of keys and values does not matter).
CREATE OR REPLACE FUNCTION ducklake_guard.canonical_rows(p_filter jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e jsonb;
  v_col text;
  v_tr text;
  v_key text;
  v_keys text[] := '{}';
  v_bad text;
  v_out jsonb := '[]';
  example constant text := '[{"column": "ts", "transform": "year", "values": ["2026"]}]';
BEGIN
  IF p_filter IS NULL OR jsonb_typeof(p_filter) <> 'array' OR jsonb_array_length(p_filter) = 0 THEN
    RAISE EXCEPTION 'the rows filter must be a non-empty JSON array of keys, got %', coalesce(p_filter::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. ' || example;
  END IF;
  FOR e IN SELECT x FROM jsonb_array_elements(p_filter) x LOOP
    IF jsonb_typeof(e) <> 'object' THEN
      RAISE EXCEPTION 'each key of the rows filter must be an object {"column", "transform", "values"}, got %', e
        USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. ' || example;
    END IF;
    SELECT string_agg(k, ', ') INTO v_bad FROM jsonb_object_keys(e) k WHERE k NOT IN ('column', 'transform', 'values', 'key');
    IF v_bad IS NOT NULL THEN
      RAISE EXCEPTION 'unknown field(s) % in rows filter key %', v_bad, e
        USING ERRCODE = 'invalid_parameter_value', HINT = 'A key has "column", "transform" and "values" only.';
    END IF;
    IF jsonb_typeof(e -> 'column') IS DISTINCT FROM 'string' OR e ->> 'column' = '' THEN
      RAISE EXCEPTION 'rows filter key % has no column name', e USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. ' || example;
    END IF;
    v_col := e ->> 'column';
    v_tr := e ->> 'transform';
    IF jsonb_typeof(e -> 'transform') IS DISTINCT FROM 'string' OR v_tr NOT IN ('identity', 'year', 'month', 'day', 'hour') THEN
      RAISE EXCEPTION 'rows filter key on column "%": transform must be identity, year, month, day or hour, got %', v_col, coalesce((e -> 'transform')::text, 'nothing')
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_key := CASE v_tr WHEN 'identity' THEN v_col ELSE v_tr || '(' || v_col || ')' END;
    IF v_key = ANY (v_keys) THEN
      RAISE EXCEPTION 'rows filter names key % twice', v_key
        USING ERRCODE = 'invalid_parameter_value', HINT = 'List each key once with all its values.';
    END IF;
    v_keys := v_keys || v_key;
    IF jsonb_typeof(e -> 'values') IS DISTINCT FROM 'array' OR jsonb_array_length(e -> 'values') = 0 THEN
      RAISE EXCEPTION 'rows filter key %: values must be a non-empty array', v_key
        USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. ' || example;
    END IF;
    SELECT string_agg(y::text, ', ') INTO v_bad FROM jsonb_array_elements(e -> 'values') y WHERE jsonb_typeof(y) NOT IN ('string', 'null');
    IF v_bad IS NOT NULL THEN
      RAISE EXCEPTION 'rows filter key %: values must be text or null (the text DuckLake records as partition_value), got %', v_key, v_bad
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Write numbers and booleans as text: "2026", "true".';
    END IF;
    IF v_tr <> 'identity' THEN
      SELECT string_agg(to_jsonb(y)::text, ', ') INTO v_bad FROM jsonb_array_elements_text(e -> 'values') y
       WHERE y IS NOT NULL AND (y !~ '^-?[0-9]{1,9}$'
          OR (v_tr = 'month' AND y::integer NOT BETWEEN 1 AND 12)
          OR (v_tr = 'day' AND y::integer NOT BETWEEN 1 AND 31)
          OR (v_tr = 'hour' AND y::integer NOT BETWEEN 0 AND 23));
      IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'rows filter key %: % cannot be a % value', v_key, v_bad, v_tr
          USING ERRCODE = 'invalid_parameter_value',
                HINT = 'year: a whole number without leading zeros; month 1-12, day of the month 1-31, hour 0-23 (DuckLake records them unpadded).';
      END IF;
    END IF;
    v_out := v_out || jsonb_build_array(jsonb_build_object('column', v_col, 'transform', v_tr, 'values',
      (SELECT jsonb_agg(d.y ORDER BY d.y = 'null'::jsonb DESC, (d.y #>> '{}') ~ '^-?[0-9]+$' DESC,
                                     CASE WHEN (d.y #>> '{}') ~ '^-?[0-9]+$' THEN (d.y #>> '{}')::numeric END, (d.y #>> '{}') COLLATE "C")
         FROM (SELECT DISTINCT y FROM jsonb_array_elements(e -> 'values') y) d)));
  END LOOP;
  RETURN (SELECT jsonb_agg(x ORDER BY (CASE x ->> 'transform' WHEN 'identity' THEN x ->> 'column'
                                        ELSE (x ->> 'transform') || '(' || (x ->> 'column') || ')' END) COLLATE "C")
            FROM jsonb_array_elements(v_out) x);
END
$$;

-- The table's current partitioning as DDL, for messages: `(region, year(ts))`, or `(none)`.
CREATE OR REPLACE FUNCTION ducklake_guard.partition_spec_text(p_table_id bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v text;
BEGIN
  EXECUTE format($q$
    SELECT string_agg(CASE pc.transform WHEN 'identity' THEN c.column_name ELSE pc.transform || '(' || c.column_name || ')' END, ', '
                      ORDER BY pc.partition_key_index)
      FROM %1$I.ducklake_partition_info pi
      JOIN %1$I.ducklake_partition_column pc ON pc.partition_id = pi.partition_id AND pc.table_id = pi.table_id
      LEFT JOIN %1$I.ducklake_column c ON c.table_id = pc.table_id AND c.column_id = pc.column_id AND c.end_snapshot IS NULL
     WHERE pi.table_id = $1 AND pi.end_snapshot IS NULL$q$, v_schema) INTO v USING p_table_id;
  RETURN '(' || coalesce(v, 'none: the table is not partitioned') || ')';
END
$$;

-- The pinned column id of each key of a canonical filter, checked against the table's current partition spec.
CREATE OR REPLACE FUNCTION ducklake_guard.resolve_row_keys(p_schema text, p_table text, p_table_id bigint, p_rows jsonb) RETURNS bigint[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  e jsonb;
  v_col bigint;
  v_in_spec boolean;
  v_ids bigint[] := '{}';
  v_key text;
BEGIN
  FOR e IN SELECT x FROM jsonb_array_elements(p_rows) x LOOP
    v_key := CASE e ->> 'transform' WHEN 'identity' THEN e ->> 'column' ELSE (e ->> 'transform') || '(' || (e ->> 'column') || ')' END;
    EXECUTE format('SELECT c.column_id FROM %I.ducklake_column c WHERE c.table_id = $1 AND c.column_name = $2
                     AND c.end_snapshot IS NULL AND c.parent_column IS NULL', v_schema)
      INTO v_col USING p_table_id, e ->> 'column';
    IF v_col IS NULL THEN
      RAISE EXCEPTION 'column "%" does not exist in DuckLake table "%"."%"', e ->> 'column', p_schema, p_table
        USING ERRCODE = 'undefined_column',
              HINT = format('The table is partitioned by %s; grant on one of those keys.', ducklake_guard.partition_spec_text(p_table_id));
    END IF;
    EXECUTE format($q$SELECT EXISTS (SELECT FROM %1$I.ducklake_partition_info pi
                       JOIN %1$I.ducklake_partition_column pc ON pc.partition_id = pi.partition_id AND pc.table_id = pi.table_id
                      WHERE pi.table_id = $1 AND pi.end_snapshot IS NULL AND pc.column_id = $2 AND pc.transform = $3)$q$, v_schema)
      INTO v_in_spec USING p_table_id, v_col, e ->> 'transform';
    IF NOT v_in_spec THEN
      RAISE EXCEPTION 'DuckLake table "%"."%" is not partitioned by %: its current partitioning is %', p_schema, p_table, v_key,
        ducklake_guard.partition_spec_text(p_table_id)
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Grant on a key (column and transform) of the current partitioning, or change it first: ALTER TABLE … SET PARTITIONED BY (…).';
    END IF;
    v_ids := v_ids || v_col;
  END LOOP;
  RETURN v_ids;
END
$$;

-- The keys of the partition grants of one reader (or all) whose role still exists under the granted name and is
-- still a member of ducklake_reader (a role taken out of ducklake_reader by hand reads nothing: see expected_visible).
CREATE OR REPLACE FUNCTION ducklake_guard.partition_keys(p_reader_oid oid DEFAULT NULL)
RETURNS TABLE (role_oid oid, table_id bigint, grant_id bigint, column_name text, column_id bigint, transform text,
               vals text[], has_null boolean, hexes text[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT a.reader_oid, a.table_id, a.id, k.e ->> 'column', a.column_ids[k.i], k.e ->> 'transform',
         ARRAY(SELECT y FROM jsonb_array_elements_text(k.e -> 'values') y WHERE y IS NOT NULL ORDER BY 1),
         EXISTS (SELECT FROM jsonb_array_elements(k.e -> 'values') y WHERE y = 'null'::jsonb),
         ARRAY(SELECT '\x' || encode(convert_to(y, 'UTF8'), 'hex') FROM jsonb_array_elements_text(k.e -> 'values') y WHERE y IS NOT NULL ORDER BY 1)
    FROM ducklake_guard.partition_acl a
    JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
         AND pg_catalog.pg_has_role(a.reader_oid, 'ducklake_reader', 'MEMBER')
   CROSS JOIN LATERAL jsonb_array_elements(a.rows) WITH ORDINALITY k(e, i)
   WHERE p_reader_oid IS NULL OR a.reader_oid = p_reader_oid
$$;

-- The data files the partition grants of one reader (or all) cover; p_file_ids limits the files looked at. A file
-- matches a grant when, for every key of the grant, the file's own spec has that key (column and transform) and
-- the file's value for it is granted. Files without a spec (partition_id NULL) never match, nor do files the
-- storage guard keeps closed because they lie outside the table's partition folders: an absolute path (added with
-- ducklake_add_data_files) or a file at the table root (written with hive_file_pattern = false). So both layers
-- agree and a partition reader's scan never reaches a file S3 refuses it (the preview warns about such files).
CREATE OR REPLACE FUNCTION ducklake_guard.expected_files(p_reader_oid oid DEFAULT NULL, p_file_ids bigint[] DEFAULT NULL)
RETURNS TABLE (role_oid oid, data_file_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_keys text;
BEGIN
  IF p_file_ids IS NULL THEN
    -- Resolving from the ACL (refresh_visible, enforcement_drift): the keys as partition_acl says.
    IF NOT (ducklake_guard.has_catalog_table('ducklake_data_file') AND ducklake_guard.has_catalog_table('ducklake_partition_column')
            AND ducklake_guard.has_catalog_table('ducklake_file_partition_value'))
       OR NOT EXISTS (SELECT FROM ducklake_guard.partition_acl a WHERE p_reader_oid IS NULL OR a.reader_oid = p_reader_oid) THEN
      RETURN;
    END IF;
    v_keys := 'SELECT * FROM ducklake_guard.partition_keys($1)';
  ELSE
    -- New files in a writer's commit (the catalog triggers): the keys as refresh_visible materialized them in
    -- visible_rows (rebuilt by every ACL change), and only the given files (primary key): cheap per commit.
    v_keys := 'SELECT w.* FROM ducklake_guard.visible_rows w WHERE $1 IS NULL OR w.role_oid = $1';
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH k AS MATERIALIZED (%3$s),
    n AS (SELECT k.grant_id, count(*) AS keys FROM k GROUP BY k.grant_id),
    f AS MATERIALIZED (SELECT d.data_file_id, d.table_id, d.partition_id FROM %1$I.ducklake_data_file d
                        WHERE d.partition_id IS NOT NULL AND d.path_is_relative AND pg_catalog.strpos(d.path, '/') > 0 AND %2$s)
    SELECT DISTINCT m.role_oid, m.data_file_id FROM (
      SELECT k.role_oid, k.grant_id, f.data_file_id, count(DISTINCT (k.column_id, k.transform)) AS matched
        FROM k
        JOIN f ON f.table_id = k.table_id
        JOIN %1$I.ducklake_partition_column pc ON pc.table_id = f.table_id AND pc.partition_id = f.partition_id
             AND pc.column_id = k.column_id AND pc.transform = k.transform
        JOIN %1$I.ducklake_file_partition_value v ON v.data_file_id = f.data_file_id AND v.partition_key_index = pc.partition_key_index
       WHERE v.partition_value = ANY (k.vals) OR (v.partition_value IS NULL AND k.has_null)
       GROUP BY k.role_oid, k.grant_id, f.data_file_id) m
    JOIN n ON n.grant_id = m.grant_id AND m.matched = n.keys$q$, v_schema,
    CASE WHEN p_file_ids IS NULL THEN 'd.table_id IN (SELECT k.table_id FROM k)' ELSE 'd.data_file_id = ANY ($2::bigint[])' END, v_keys)
    USING p_reader_oid, p_file_ids;
END
$$;

-- ---- Resolution: expected_visible / refresh_visible (006) with partition grants ---------------------------

CREATE OR REPLACE FUNCTION ducklake_guard.expected_visible(p_reader_oid oid DEFAULT NULL)
RETURNS TABLE (role_oid oid, kind "char", object_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_sql text;
BEGIN
  -- Only grants whose role still exists under the granted name and is still a member of ducklake_reader count:
  -- a role taken out of ducklake_reader by hand (REVOKE ducklake_reader FROM r) is no reader, and the catalog
  -- policies and the inlined tables' row filter apply to readers only, so it must see nothing at all (its
  -- grants stay in the ACL; GRANT ducklake_reader TO r, or grant_read/grant_rows, brings them back).
  v_sql := 'WITH g AS (SELECT a.reader_oid, a.schema_id, a.table_id FROM ducklake_guard.acl a
              JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
             WHERE ($1 IS NULL OR a.reader_oid = $1) AND pg_catalog.pg_has_role(a.reader_oid, ''ducklake_reader'', ''MEMBER'')),
            pg AS (SELECT a.reader_oid, a.schema_id, a.table_id FROM ducklake_guard.partition_acl a
              JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
             WHERE ($1 IS NULL OR a.reader_oid = $1) AND pg_catalog.pg_has_role(a.reader_oid, ''ducklake_reader'', ''MEMBER''))
            SELECT reader_oid, ''s''::"char", schema_id FROM g
            UNION SELECT reader_oid, ''t'', table_id FROM g WHERE table_id IS NOT NULL
            UNION SELECT reader_oid, ''s'', schema_id FROM pg
            UNION SELECT reader_oid, ''p'', table_id FROM pg
            UNION SELECT x.role_oid, ''f'', x.data_file_id FROM ducklake_guard.expected_files($1, NULL) x';
  IF ducklake_guard.has_catalog_table('ducklake_table') THEN
    v_sql := v_sql || format(' UNION SELECT g.reader_oid, ''t'', x.table_id FROM g JOIN %I.ducklake_table x ON x.schema_id = g.schema_id WHERE g.table_id IS NULL', v_schema);
  END IF;
  IF ducklake_guard.has_catalog_table('ducklake_view') THEN
    v_sql := v_sql || format(' UNION SELECT g.reader_oid, ''v'', x.view_id FROM g JOIN %I.ducklake_view x ON x.schema_id = g.schema_id WHERE g.table_id IS NULL', v_schema);
  END IF;
  IF ducklake_guard.has_catalog_table('ducklake_macro') THEN
    v_sql := v_sql || format(' UNION SELECT g.reader_oid, ''m'', x.macro_id FROM g JOIN %I.ducklake_macro x ON x.schema_id = g.schema_id WHERE g.table_id IS NULL', v_schema);
  END IF;
  RETURN QUERY EXECUTE v_sql USING p_reader_oid;
END
$$;

-- Also rebuilds the reader's visible_rows (every caller of refresh_visible: ACL triggers, grant_read, resync).
CREATE OR REPLACE FUNCTION ducklake_guard.refresh_visible(p_reader_oid oid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
  DELETE FROM ducklake_guard.visible_rows w WHERE p_reader_oid IS NULL OR w.role_oid = p_reader_oid;
  INSERT INTO ducklake_guard.visible_rows (role_oid, table_id, grant_id, column_name, column_id, transform, vals, has_null, hexes)
    SELECT k.role_oid, k.table_id, k.grant_id, k.column_name, k.column_id, k.transform, k.vals, k.has_null, k.hexes
      FROM ducklake_guard.partition_keys(p_reader_oid) k;
  WITH e AS MATERIALIZED (SELECT x.role_oid, x.kind, x.object_id FROM ducklake_guard.expected_visible(p_reader_oid) x),
  gone AS (DELETE FROM ducklake_guard.visible v
            WHERE (p_reader_oid IS NULL OR v.role_oid = p_reader_oid)
              AND NOT EXISTS (SELECT FROM e WHERE e.role_oid = v.role_oid AND e.kind = v.kind AND e.object_id = v.object_id)
           RETURNING 1),
  added AS (INSERT INTO ducklake_guard.visible (role_oid, kind, object_id) SELECT e.role_oid, e.kind, e.object_id FROM e
            ON CONFLICT DO NOTHING RETURNING 1)
  SELECT (SELECT count(*) FROM e) + 0 * ((SELECT count(*) FROM gone) + (SELECT count(*) FROM added)) INTO n;
  RETURN n;
END
$$;

-- visible_count (001) counts the tables a role sees whole or through partition grants: the 'table' rule's switch.
CREATE OR REPLACE FUNCTION ducklake_guard.recount_visible() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO ducklake_guard.visible_count (role_oid, tables)
    SELECT r.role_oid, (SELECT count(*) FROM ducklake_guard.visible v WHERE v.role_oid = r.role_oid AND v.kind IN ('t', 'p'))
      FROM (SELECT DISTINCT c.role_oid FROM changed_rows c WHERE c.kind IN ('t', 'p')) r
    ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;
  RETURN NULL;
END
$$;

-- ---- Catalog rules ------------------------------------------------------------------------------------------

-- New rules: 'file' (whole-table readers, or the file is visible), 'table_full' (whole-table readers only).
-- 'table' and the table-scoped parts of the others now also cover tables seen through partition grants ('p').
CREATE OR REPLACE FUNCTION ducklake_guard.rule_predicate(rule text, catalog_schema text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me constant text := 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid';
  many constant text := '(SELECT c.tables FROM ducklake_guard.visible_count c WHERE c.role_oid = ' || me || ') > 1000';
BEGIN
  RETURN CASE rule
    WHEN 'global' THEN 'true'
    WHEN 'hidden' THEN 'false'
    -- Both branches test the same set (see visible_count in 001); `table_id` inside the probe is the catalog
    -- table's column: visible has no column of that name.
    WHEN 'table' THEN 'CASE WHEN ' || many
      || ' THEN (SELECT true FROM ducklake_guard.visible v WHERE v.role_oid = ' || me
      || ' AND v.kind IN (''t'', ''p'') AND v.object_id = table_id LIMIT 1) IS NOT NULL'
      || ' ELSE table_id IN ' || ducklake_guard.visible_ids_sql('tp') || ' END'
    WHEN 'table_full' THEN 'CASE WHEN ' || many
      || ' THEN (SELECT true FROM ducklake_guard.visible v WHERE v.role_oid = ' || me
      || ' AND v.kind = ''t'' AND v.object_id = table_id) IS NOT NULL'
      || ' ELSE table_id IN ' || ducklake_guard.visible_ids_sql('t') || ' END'
    -- A file's rows: the whole table is granted, or the file itself (a per-row index probe: a partition reader
    -- may see thousands of files, and DuckDB lists one table's files at a time). Probes are scalar sub-selects,
    -- not EXISTS, which the planner would turn into a hashed scan of all the reader's ids.
    WHEN 'file' THEN '(CASE WHEN ' || many
      || ' THEN (SELECT true FROM ducklake_guard.visible v WHERE v.role_oid = ' || me
      || ' AND v.kind = ''t'' AND v.object_id = table_id) IS NOT NULL'
      || ' ELSE table_id IN ' || ducklake_guard.visible_ids_sql('t') || ' END)'
      || ' OR (SELECT true FROM ducklake_guard.visible f WHERE f.role_oid = ' || me
      || ' AND f.kind = ''f'' AND f.object_id = data_file_id) IS NOT NULL'
    WHEN 'table_or_null' THEN 'table_id IS NULL OR table_id IN ' || ducklake_guard.visible_ids_sql('tp')
    WHEN 'schema' THEN 'schema_id IN ' || ducklake_guard.visible_ids_sql('s') || ' OR schema_name = ''main'''
    WHEN 'view' THEN 'view_id IN ' || ducklake_guard.visible_ids_sql('v')
    WHEN 'macro' THEN 'macro_id IN ' || ducklake_guard.visible_ids_sql('m')
    WHEN 'tag' THEN 'object_id IN ' || ducklake_guard.visible_ids_sql('stvp')
    WHEN 'metadata' THEN 'scope IS NULL OR (scope = ''schema'' AND scope_id IN ' || ducklake_guard.visible_ids_sql('s')
                         || ') OR (scope = ''table'' AND scope_id IN ' || ducklake_guard.visible_ids_sql('tp') || ')'
    WHEN 'name_mapping' THEN format('mapping_id IN (SELECT m.mapping_id FROM %I.ducklake_column_mapping m)', catalog_schema)
  END;
END
$$;

-- The file tables and the table-level statistics keep their permissive 'table' policy (ducklake_guard_read, from
-- catalog_rule: the rule names 001-006 know, so re-running an older file over this one fails closed instead of
-- failing) and get a second, RESTRICTIVE policy ducklake_guard_partition: a row must pass both.
CREATE TABLE IF NOT EXISTS ducklake_guard.partition_rule (
  table_name text PRIMARY KEY,
  rule text NOT NULL CHECK (rule IN ('file', 'table_full')),
  why text NOT NULL
);
REVOKE ALL ON ducklake_guard.partition_rule FROM PUBLIC;
INSERT INTO ducklake_guard.partition_rule (table_name, rule, why) VALUES
  ('ducklake_data_file', 'file', 'tables granted whole; for partition grants the files whose own spec values are granted (per file, so older snapshots too)'),
  ('ducklake_file_partition_value', 'file', 'follows its data file'),
  ('ducklake_file_column_stats', 'file', 'follows its data file'),
  ('ducklake_file_variant_stats', 'file', 'follows its data file'),
  ('ducklake_delete_file', 'file', 'follows the data file it deletes from (hiding deletes of a visible file would resurrect deleted rows)'),
  ('ducklake_table_stats', 'table_full', 'tables granted whole only: record counts and sizes summarize every partition (DuckDB reads without them)'),
  ('ducklake_table_column_stats', 'table_full', 'tables granted whole only: min/max summarize every partition (DuckDB reads without them)')
ON CONFLICT (table_name) DO UPDATE SET rule = EXCLUDED.rule, why = EXCLUDED.why;

-- Puts the restrictive partition policy on every partition_rule table that exists (idempotent; run by attach_triggers,
-- so protect_all covers catalog tables DuckLake creates later).
CREATE OR REPLACE FUNCTION ducklake_guard.protect_partitions() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  r record;
  n integer := 0;
BEGIN
  FOR r IN SELECT pr.table_name, pr.rule, pr.why FROM ducklake_guard.partition_rule pr ORDER BY pr.table_name LOOP
    CONTINUE WHEN NOT ducklake_guard.has_catalog_table(r.table_name);
    EXECUTE format('DROP POLICY IF EXISTS ducklake_guard_partition ON %I.%I', v_schema, r.table_name);
    EXECUTE format('CREATE POLICY ducklake_guard_partition ON %I.%I AS RESTRICTIVE FOR SELECT TO ducklake_reader USING (%s)',
                   v_schema, r.table_name, ducklake_guard.rule_predicate(r.rule, v_schema));
    EXECUTE format('COMMENT ON POLICY ducklake_guard_partition ON %I.%I IS %L', v_schema, r.table_name,
                   format('ducklake_guard: with ducklake_guard_read (a row must pass both), partition readers see only rows of their files; rule %s: %s', r.rule, r.why));
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;

-- ---- Inlined tables: the row filter ---------------------------------------------------------------------------

-- Whether an inlined row falls in one of the current reader's partition grants on table p_table_id. Called by the
-- policy of ducklake_inlined_data_<t>_<v> for readers who do not see the whole table, with the row as jsonb and
-- the names of the row's bytea columns (DuckLake stores VARCHAR as bytea on PostgreSQL; to_jsonb renders them
-- '\x<hex>'). Values are compared as DuckLake records partition values: identity as the value's text; year/
-- month/day/hour computed from the stored text of a TIMESTAMP or DATE ('2026-03-05 07:08:09.5', '2026-01-02',
-- unpadded like DuckLake). Text that is not such a value (TIMESTAMPTZ with its offset, BC dates, infinity)
-- matches no temporal value: those rows stay hidden until flushed into files.
CREATE OR REPLACE FUNCTION ducklake_guard.inlined_row_visible(p_table_id bigint, p_row jsonb, p_bytea_columns text[]) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (
    SELECT FROM ducklake_guard.visible_rows g
     WHERE g.role_oid = pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid AND g.table_id = p_table_id
     GROUP BY g.grant_id
    HAVING bool_and(coalesce(CASE
      WHEN NOT p_row ? g.column_name THEN false
      WHEN jsonb_typeof(p_row -> g.column_name) = 'null' THEN g.has_null
      WHEN g.transform = 'identity' THEN
        CASE WHEN g.column_name = ANY (p_bytea_columns) THEN (p_row ->> g.column_name) = ANY (g.hexes)
             ELSE (p_row ->> g.column_name) = ANY (g.vals) END
      WHEN g.column_name = ANY (p_bytea_columns) OR jsonb_typeof(p_row -> g.column_name) <> 'string'
        OR (p_row ->> g.column_name) !~ '^[0-9]{4,9}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?$' THEN false
      ELSE (CASE g.transform
              WHEN 'year' THEN split_part(p_row ->> g.column_name, '-', 1)
              WHEN 'month' THEN split_part(p_row ->> g.column_name, '-', 2)
              WHEN 'day' THEN left(split_part(p_row ->> g.column_name, '-', 3), 2)
              WHEN 'hour' THEN coalesce(nullif(substr(p_row ->> g.column_name, length(split_part(p_row ->> g.column_name, ' ', 1)) + 2, 2), ''), '0')
            END)::numeric::text = ANY (g.vals)
    END, false)))
$$;

-- Whether the current role is an enrolled reader: a member of ducklake_reader without ADMIN OPTION (the catalog
-- owner holds ADMIN OPTION to enrol readers and is no reader). pg_auth_members is readable by every role.
CREATE OR REPLACE FUNCTION ducklake_guard.is_reader_sql() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT 'EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.roleid = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ''ducklake_reader'')'
      || ' AND m.member = pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid AND NOT m.admin_option)'
$$;

-- The policies of one inlined table, as the statements to run (the table's owner or a superuser runs them).
-- A fixed text per table: what a reader may see is read at query time from visible/visible_rows, so later
-- grants need no ALTER. Every role that is not an enrolled reader keeps every row its table privileges give
-- (the catalog owner flushing or maintaining the writer's tables; a writer without BYPASSRLS).
CREATE OR REPLACE FUNCTION ducklake_guard.inlined_policy_sql(p_rel oid) RETURNS text[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  c record;
  v_table_id bigint;
  v_bytea text[];
  v_whole text;
  v_sql text[];
  me constant text := 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid';
BEGIN
  SELECT cl.relname, cl.relowner, ro.rolname AS owner_name, (regexp_match(cl.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
    INTO c FROM pg_catalog.pg_class cl JOIN pg_catalog.pg_roles ro ON ro.oid = cl.relowner
   WHERE cl.oid = p_rel AND cl.relnamespace = to_regnamespace(quote_ident(v_schema)) AND cl.relkind = 'r'
     AND cl.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation % is not an inlined table of catalog schema %', p_rel::regclass, v_schema;
  END IF;
  v_table_id := c.table_id;
  v_whole := format('EXISTS (SELECT FROM ducklake_guard.visible v WHERE v.role_oid = %s AND v.kind = ''t'' AND v.object_id = %s)', me, v_table_id);
  v_sql := ARRAY[format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', v_schema, c.relname),
                 format('DROP POLICY IF EXISTS ducklake_guard_rows ON %I.%I', v_schema, c.relname)];
  IF c.relname LIKE 'ducklake_inlined_data_%' THEN
    SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') INTO v_bytea FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = p_rel AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'pg_catalog.bytea'::pg_catalog.regtype;
    v_sql := v_sql || format('CREATE POLICY ducklake_guard_rows ON %I.%I FOR SELECT TO ducklake_reader USING (%s OR ducklake_guard.inlined_row_visible(%s, pg_catalog.to_jsonb(%I.*), %L::text[]))',
                             v_schema, c.relname, v_whole, v_table_id, c.relname, v_bytea);
  ELSE
    v_sql := v_sql || format('CREATE POLICY ducklake_guard_rows ON %I.%I FOR SELECT TO ducklake_reader USING (%s OR EXISTS (SELECT FROM ducklake_guard.visible f WHERE f.role_oid = %s AND f.kind = ''f'' AND f.object_id = file_id))',
                             v_schema, c.relname, v_whole, me);
  END IF;
  v_sql := v_sql || format('COMMENT ON POLICY ducklake_guard_rows ON %I.%I IS %L', v_schema, c.relname,
                           'ducklake_guard: readers of the whole table see every row; readers with partition grants only rows in their partitions (inlined data: by column value; inlined deletes: of visible files)')
                 || format('DROP POLICY IF EXISTS ducklake_guard_others ON %I.%I', v_schema, c.relname)
                 || format('CREATE POLICY ducklake_guard_others ON %I.%I FOR ALL TO PUBLIC USING (NOT %s) WITH CHECK (NOT %s)',
                           v_schema, c.relname, ducklake_guard.is_reader_sql(), ducklake_guard.is_reader_sql())
                 || format('COMMENT ON POLICY ducklake_guard_others ON %I.%I IS %L', v_schema, c.relname,
                           'ducklake_guard: every role that is not an enrolled reader (the catalog owner, a writer without BYPASSRLS) keeps what its table privileges give');
  RETURN v_sql;
END
$$;

-- Whether an inlined table carries the guard's row filter.
CREATE OR REPLACE FUNCTION ducklake_guard.inlined_is_filtered(p_rel oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((SELECT cl.relrowsecurity FROM pg_catalog.pg_class cl WHERE cl.oid = p_rel), false)
     AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = p_rel AND p.polname = 'ducklake_guard_rows')
$$;

-- The inlined tables of the catalog schema (ducklake_inlined_data_<t>_<v>, ducklake_inlined_delete_<t>) of the
-- DuckLake table ids p_table_ids, or all of them (NULL). By id it looks each name up in pg_class's (relname,
-- relnamespace) index (a name range per id for the data tables' versions, the exact name of the delete table), so
-- the commit trigger's call for the tables one commit created costs the same with 10 or 10,000 inlined tables.
CREATE OR REPLACE FUNCTION ducklake_guard.inlined_tables(p_table_ids bigint[] DEFAULT NULL)
RETURNS TABLE (rel oid, relname name, relowner oid, relacl aclitem[], table_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_nsp oid := to_regnamespace(quote_ident(ducklake_guard.catalog_schema()));
  pattern constant text := '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$';
BEGIN
  IF p_table_ids IS NULL THEN
    RETURN QUERY
      SELECT c.oid, c.relname, c.relowner, c.relacl, (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint
        FROM pg_catalog.pg_class c
       WHERE c.relnamespace = v_nsp AND c.relkind = 'r' AND c.relname ~ pattern;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT c.oid, c.relname, c.relowner, c.relacl, t.id
      FROM (SELECT DISTINCT u.id FROM unnest(p_table_ids) AS u(id) WHERE u.id IS NOT NULL) t
      CROSS JOIN LATERAL (
        -- '`' sorts right after '_' (C collation of name): the range holds exactly the names starting ..._<id>_
        SELECT c1.* FROM pg_catalog.pg_class c1
         WHERE c1.relnamespace = v_nsp AND c1.relname >= ('ducklake_inlined_data_' || t.id || '_')::name
           AND c1.relname < ('ducklake_inlined_data_' || t.id || '`')::name
        UNION ALL
        SELECT c2.* FROM pg_catalog.pg_class c2
         WHERE c2.relnamespace = v_nsp AND c2.relname = ('ducklake_inlined_delete_' || t.id)::name) c
     WHERE c.relkind = 'r' AND c.relname ~ pattern
       AND (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint = t.id;
END
$$;

-- Puts the row filter on every inlined table the caller may alter that lacks it (SECURITY INVOKER: as the
-- catalog owner from the guard's functions). Never to be run by a superuser: the catalog owner can replace it and
-- what it calls; a superuser re-runs this file instead, whose superuser part reads pg_catalog only. The catalog
-- owner may alter the writer's tables when it is a member of the writer with INHERIT (GRANT <writer> TO <owner>:
-- the external target's shape, no superuser needed). Returns how many.
CREATE OR REPLACE FUNCTION ducklake_guard.filter_inlined_tables(p_table_ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  s text;
  n integer := 0;
BEGIN
  FOR r IN SELECT i.rel FROM ducklake_guard.inlined_tables(p_table_ids) i
            WHERE pg_catalog.pg_has_role(current_user, i.relowner, 'USAGE')
              AND NOT ducklake_guard.inlined_is_filtered(i.rel) LOOP
    FOREACH s IN ARRAY ducklake_guard.inlined_policy_sql(r.rel) LOOP
      EXECUTE s;
    END LOOP;
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;

-- Who puts the row filter on the inlined tables DuckLake's writer (setting catalog_writer, else any role owning
-- inlined tables now) creates: the superuser's event trigger, the catalog owner itself at COMMIT (the commit
-- trigger's grant sync) when it has the writer's privileges (GRANT <writer> TO <owner>, INHERIT), both, or none.
CREATE OR REPLACE FUNCTION ducklake_guard.inlined_filter_mechanism() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH o AS (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting s ON s.key = 'catalog_owner' AND s.value = ro.rolname),
  w AS (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting s ON s.key = 'catalog_writer' AND s.value = ro.rolname
        UNION SELECT i.relowner FROM ducklake_guard.inlined_tables(NULL) i
         WHERE NOT EXISTS (SELECT FROM ducklake_guard.setting s WHERE s.key = 'catalog_writer'))
  SELECT coalesce(nullif(concat_ws(',',
           CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_event_trigger e WHERE e.evtname = 'ducklake_guard_a_inlined_row_filter' AND e.evtenabled <> 'D')
                THEN 'event_trigger' END,
           CASE WHEN EXISTS (SELECT FROM w) AND NOT EXISTS (SELECT FROM w, o WHERE NOT pg_catalog.pg_has_role(o.oid, w.oid, 'USAGE'))
                THEN 'owner_member_of_writer' END), ''), 'none')
$$;

-- SELECT on inlined tables: readers of the whole table; readers with partition grants on the table only where the
-- row filter is on (filtered here first when the catalog owner may). Grants what is missing, revokes the rest.
-- Revokes name the privileges held, not ALL: when the owner may act as the table's owner too (member of the
-- writer), PostgreSQL records a GRANT/REVOKE under the first role holding the needed grant options, and for ALL
-- (MAINTAIN on PostgreSQL 17 is not among the writer's default privileges) that would be the writer, whose REVOKE
-- leaves the owner's own grants in place. Naming the held privileges picks the same grantor as the GRANT did.
CREATE OR REPLACE FUNCTION ducklake_guard.sync_inlined_grants(p_reader_oid oid DEFAULT NULL, p_table_ids bigint[] DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_owner oid := (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting s ON s.key = 'catalog_owner' AND s.value = ro.rolname);
  v_writer oid := (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting s ON s.key = 'catalog_writer' AND s.value = ro.rolname);
  r record;
  g record;
  n integer := 0;
BEGIN
  n := ducklake_guard.filter_inlined_tables(p_table_ids);
  FOR r IN SELECT i.rel AS oid, i.relname, i.relowner, i.relacl, ducklake_guard.inlined_is_filtered(i.rel) AS filtered, i.table_id
             FROM ducklake_guard.inlined_tables(p_table_ids) i LOOP
    -- Grantees that should not be there (PUBLIC is grantee 0): PUBLIC and every reader, past or present (a member of
    -- ducklake_reader, a role in the ACL or in visible, the reader this call is for), unless it is a current member
    -- of ducklake_reader that sees the table; never the table's owner, the catalog owner, the writer or their
    -- members, nor roles the guard never granted to (a writer not recorded, other grants made by hand). Whatever
    -- its membership: a role taken out of ducklake_reader but still holding SELECT would pass the row filter
    -- (whose policies apply to readers) through the ducklake_guard_others policy, and read every row.
    FOR g IN SELECT a.grantee, string_agg(DISTINCT a.privilege_type, ', ') AS privileges FROM pg_catalog.aclexplode(r.relacl) a
              WHERE a.grantee <> r.relowner AND (p_reader_oid IS NULL OR a.grantee = p_reader_oid OR a.grantee = 0)
                AND (a.grantee = 0 OR a.grantee = p_reader_oid OR pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER')
                     OR EXISTS (SELECT FROM ducklake_guard.acl x WHERE x.reader_oid = a.grantee)
                     OR EXISTS (SELECT FROM ducklake_guard.partition_acl x WHERE x.reader_oid = a.grantee)
                     OR EXISTS (SELECT FROM ducklake_guard.visible x WHERE x.role_oid = a.grantee))
                AND (a.grantee = 0 OR NOT (pg_catalog.pg_has_role(a.grantee, r.relowner, 'MEMBER')
                                           OR (v_owner IS NOT NULL AND pg_catalog.pg_has_role(a.grantee, v_owner, 'MEMBER'))
                                           OR (v_writer IS NOT NULL AND pg_catalog.pg_has_role(a.grantee, v_writer, 'MEMBER'))))
                AND NOT (a.grantee <> 0 AND pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER')
                         AND EXISTS (SELECT FROM ducklake_guard.visible v WHERE v.role_oid = a.grantee AND v.object_id = r.table_id
                                        AND (v.kind = 't' OR (v.kind = 'p' AND r.filtered))))
                -- privilege names come from PostgreSQL itself; checked anyway, as they reach the statement unquoted
                AND a.privilege_type ~ '^[A-Z]+( [A-Z]+)*$'
              GROUP BY a.grantee LOOP
      IF g.grantee = 0 THEN
        EXECUTE format('REVOKE %s ON %I.%I FROM PUBLIC', g.privileges, v_schema, r.relname);
      ELSE
        EXECUTE format('REVOKE %s ON %I.%I FROM %I', g.privileges, v_schema, r.relname, (SELECT ro.rolname FROM pg_catalog.pg_roles ro WHERE ro.oid = g.grantee));
      END IF;
      n := n + 1;
    END LOOP;
    -- Readers (current members of ducklake_reader) that should have SELECT and do not.
    FOR g IN SELECT DISTINCT ro.rolname FROM ducklake_guard.visible v JOIN pg_catalog.pg_roles ro ON ro.oid = v.role_oid
              WHERE v.object_id = r.table_id AND (v.kind = 't' OR (v.kind = 'p' AND r.filtered))
                AND pg_catalog.pg_has_role(v.role_oid, 'ducklake_reader', 'MEMBER')
                AND (p_reader_oid IS NULL OR v.role_oid = p_reader_oid)
                AND NOT EXISTS (SELECT FROM pg_catalog.aclexplode(r.relacl) a WHERE a.grantee = v.role_oid AND a.privilege_type = 'SELECT') LOOP
      EXECUTE format('GRANT SELECT ON %I.%I TO %I', v_schema, r.relname, g.rolname);
      n := n + 1;
    END LOOP;
  END LOOP;
  RETURN n;
END
$$;

-- ---- Following DuckLake's writes: new files -----------------------------------------------------------------

-- As 006, plus: files DuckLake adds to a table with partition grants become visible to the readers whose
-- partitions they fall in, when DuckLake inserts their ducklake_file_partition_value rows (it does so after the
-- data_file row, in the same commit: partitionGuard.duckdb.test.ts depends on it). Were the order ever reversed,
-- new files would stay hidden from partition readers (fail closed) and enforcement_drift would list them.
CREATE OR REPLACE FUNCTION ducklake_guard.on_catalog_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_ids bigint[];
BEGIN
  IF TG_TABLE_NAME = 'ducklake_table' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 't'::"char", n.table_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
       WHERE pg_catalog.pg_has_role(a.reader_oid, 'ducklake_reader', 'MEMBER')
      ON CONFLICT DO NOTHING;
    SELECT array_agg(DISTINCT n.table_id) INTO v_ids FROM new_rows n;
    PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
  ELSIF TG_TABLE_NAME = 'ducklake_view' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 'v'::"char", n.view_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
       WHERE pg_catalog.pg_has_role(a.reader_oid, 'ducklake_reader', 'MEMBER')
      ON CONFLICT DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ducklake_macro' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 'm'::"char", n.macro_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
       WHERE pg_catalog.pg_has_role(a.reader_oid, 'ducklake_reader', 'MEMBER')
      ON CONFLICT DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ducklake_inlined_data_tables' THEN
    SELECT array_agg(DISTINCT n.table_id) INTO v_ids FROM new_rows n;
    PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
  ELSIF TG_TABLE_NAME = 'ducklake_file_partition_value' THEN
    IF EXISTS (SELECT FROM ducklake_guard.partition_acl a WHERE a.table_id IN (SELECT n.table_id FROM new_rows n)) THEN
      SELECT array_agg(DISTINCT n.data_file_id) INTO v_ids FROM new_rows n;
      INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
        SELECT x.role_oid, 'f'::"char", x.data_file_id FROM ducklake_guard.expected_files(NULL, v_ids) x
        ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.attach_triggers() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  t text;
  n integer := 0;
BEGIN
  FOREACH t IN ARRAY ARRAY['ducklake_table', 'ducklake_view', 'ducklake_macro', 'ducklake_inlined_data_tables',
                           'ducklake_file_partition_value'] LOOP
    CONTINUE WHEN NOT ducklake_guard.has_catalog_table(t);
    EXECUTE format('DROP TRIGGER IF EXISTS ducklake_guard_resolve ON %I.%I', v_schema, t);
    EXECUTE format('CREATE TRIGGER ducklake_guard_resolve AFTER INSERT ON %I.%I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.on_catalog_insert()', v_schema, t);
    EXECUTE format('COMMENT ON TRIGGER ducklake_guard_resolve ON %I.%I IS %L', v_schema, t,
                   CASE WHEN t = 'ducklake_file_partition_value'
                        THEN 'ducklake_guard: makes files DuckLake adds visible to the readers whose partition grants they fall in'
                        ELSE 'ducklake_guard: makes objects DuckLake adds to a schema granted whole visible to its readers, and grants new inlined tables' END);
    n := n + 1;
  END LOOP;
  PERFORM ducklake_guard.protect_partitions();
  RETURN n;
END
$$;

-- ---- The SQL API ---------------------------------------------------------------------------------------------

-- Grants a reader the rows of one table whose partition keys take one of the listed values. p_filter:
-- [{"column": "ts", "transform": "year", "values": ["2026"]}, …] in any order. Each key must be a key (column and
-- transform) of the table's current partitioning. A reader who also has a table or schema grant covering the
-- table keeps seeing the whole table (grants add up). Returns true if the ACL changed.
CREATE OR REPLACE FUNCTION ducklake_guard.grant_rows(p_reader name, p_schema text, p_table text, p_filter jsonb) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_oid oid;
  v_schema_id bigint;
  v_table_id bigint;
  v_rows jsonb;
  v_ids bigint[];
  v_changed boolean;
BEGIN
  PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE; -- serializes ACL changes (see lock_acl)
  v_oid := ducklake_guard.check_reader(p_reader);
  IF p_schema IS NULL OR p_schema = '' THEN
    RAISE EXCEPTION 'schema must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_table IS NULL OR p_table = '' THEN
    RAISE EXCEPTION 'a partition grant needs a table' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Name the partitioned table; to grant a whole schema use grant_read(reader, schema).';
  END IF;
  v_rows := ducklake_guard.canonical_rows(p_filter);
  IF NOT ducklake_guard.has_catalog_table('ducklake_schema') THEN
    RAISE EXCEPTION 'no DuckLake catalog in schema "%" yet', v_schema USING ERRCODE = 'undefined_table',
      HINT = 'Attach the lake once with DuckDB (ATTACH ''ducklake:postgres:...'') to create the catalog, then grant.';
  END IF;
  EXECUTE format('SELECT schema_id FROM %I.ducklake_schema WHERE schema_name = $1 AND end_snapshot IS NULL', v_schema)
    INTO v_schema_id USING p_schema;
  IF v_schema_id IS NULL THEN
    RAISE EXCEPTION 'DuckLake schema "%" does not exist in the catalog', p_schema USING ERRCODE = 'undefined_object',
      HINT = 'Check the name (case and spaces matter) or create the schema in DuckLake first.';
  END IF;
  EXECUTE format('SELECT table_id FROM %I.ducklake_table WHERE schema_id = $1 AND table_name = $2 AND end_snapshot IS NULL', v_schema)
    INTO v_table_id USING v_schema_id, p_table;
  IF v_table_id IS NULL THEN
    RAISE EXCEPTION 'DuckLake table "%"."%" does not exist in the catalog', p_schema, p_table USING ERRCODE = 'undefined_table',
      HINT = 'Check the name or create and partition the table in DuckLake first.';
  END IF;
  v_ids := ducklake_guard.resolve_row_keys(p_schema, p_table, v_table_id, v_rows);
  IF NOT pg_has_role(p_reader, 'ducklake_reader', 'MEMBER') THEN
    EXECUTE format('GRANT ducklake_reader TO %I', p_reader);
  END IF;
  INSERT INTO ducklake_guard.partition_acl AS a (reader, reader_oid, schema_name, table_name, schema_id, table_id, rows, column_ids)
    VALUES (p_reader, v_oid, p_schema, p_table, v_schema_id, v_table_id, v_rows, v_ids)
    ON CONFLICT ON CONSTRAINT partition_acl_one_grant DO UPDATE
      SET reader_oid = EXCLUDED.reader_oid, schema_id = EXCLUDED.schema_id, table_id = EXCLUDED.table_id,
          column_ids = EXCLUDED.column_ids, granted_at = now(), granted_by = session_user
      WHERE (a.reader_oid, a.schema_id, a.table_id, a.column_ids)
            IS DISTINCT FROM (EXCLUDED.reader_oid, EXCLUDED.schema_id, EXCLUDED.table_id, EXCLUDED.column_ids);
  GET DIAGNOSTICS v_changed = ROW_COUNT;
  IF NOT v_changed THEN -- an unchanged grant still repairs the reader's ids and inlined grants
    PERFORM ducklake_guard.refresh_visible(v_oid);
    PERFORM ducklake_guard.sync_inlined_grants(v_oid, NULL);
  END IF;
  RETURN v_changed;
END
$$;

-- Removes one partition grant (the same filter, in any order). False when there was none. The filter is not
-- checked against the table's current partitioning: a grant stays revocable after the table changed.
CREATE OR REPLACE FUNCTION ducklake_guard.revoke_rows(p_reader name, p_schema text, p_table text, p_filter jsonb) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
  PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE; -- serializes ACL changes (see lock_acl)
  DELETE FROM ducklake_guard.partition_acl a WHERE a.reader = p_reader AND a.schema_name = p_schema AND a.table_name = p_table
     AND a.rows = ducklake_guard.canonical_rows(p_filter);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n > 0;
END
$$;

-- list_grants gains `rows` (the canonical filter of a partition grant; NULL for table and schema grants). A result
-- type cannot change in place: the old list_grants(name) goes, and the new one takes text, so that re-running an
-- older migration (which recreates list_grants(name)) does not fail on it; this file drops that one again.
DROP FUNCTION IF EXISTS ducklake_guard.list_grants(name);
CREATE OR REPLACE FUNCTION ducklake_guard.list_grants(p_reader text DEFAULT NULL)
RETURNS TABLE (reader name, schema_name text, table_name text, schema_id bigint, table_id bigint,
               current_schema_name text, current_table_name text, status text, rows jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_schema text := ducklake_guard.catalog_schema();
BEGIN
  RETURN QUERY EXECUTE format($q$
    SELECT a.reader, a.schema_name, a.table_name, a.schema_id, a.table_id, s.schema_name::text, t.table_name::text,
           CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = a.reader_oid AND r.rolname = a.reader) THEN 'role missing'
                WHEN s.schema_id IS NULL OR (a.table_id IS NOT NULL AND t.table_id IS NULL) THEN 'dropped'
                WHEN s.schema_name IS DISTINCT FROM a.schema_name OR t.table_name IS DISTINCT FROM a.table_name THEN 'renamed'
                ELSE 'active' END,
           a.rows
      FROM (SELECT x.reader, x.reader_oid, x.schema_name, x.table_name, x.schema_id, x.table_id, NULL::jsonb AS rows FROM ducklake_guard.acl x
            UNION ALL
            SELECT p.reader, p.reader_oid, p.schema_name, p.table_name, p.schema_id, p.table_id, p.rows FROM ducklake_guard.partition_acl p) a
      LEFT JOIN %1$I.ducklake_schema s ON s.schema_id = a.schema_id AND s.end_snapshot IS NULL
      LEFT JOIN %1$I.ducklake_table t ON t.table_id = a.table_id AND t.end_snapshot IS NULL
     WHERE $1 IS NULL OR a.reader = $1
     ORDER BY a.reader, a.schema_name, a.table_name NULLS FIRST, a.rows::text NULLS FIRST$q$, v_schema) USING p_reader;
END
$$;

-- ---- Partition ACL changes: logged and enforced like acl's (006) ---------------------------------------------

CREATE OR REPLACE FUNCTION ducklake_guard.log_partition_acl_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE e record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by, rows)
      SELECT 'revoke', a.reader, a.reader_oid, a.schema_name, a.table_name, a.schema_id, a.table_id, a.granted_at, a.granted_by, a.rows
        FROM ducklake_guard.partition_acl a ORDER BY a.reader, a.schema_name, a.table_name, a.rows::text;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN e := OLD; ELSE e := NEW; END IF;
  INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by, rows, previous)
    VALUES (CASE TG_OP WHEN 'INSERT' THEN 'grant' WHEN 'DELETE' THEN 'revoke' ELSE 'update' END,
            e.reader, e.reader_oid, e.schema_name, e.table_name, e.schema_id, e.table_id, e.granted_at, e.granted_by, e.rows,
            CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END);
  RETURN NULL;
END
$$;

-- As 006, plus: a partition grant added or changed by hand must be in canonical form with one pinned column per
-- key (what grant_rows writes), so the filter the log shows is the filter enforced.
CREATE OR REPLACE FUNCTION ducklake_guard.enforce_acl_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_oids oid[];
  v_names name[];
  o oid;
  r record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM ducklake_guard.refresh_visible(NULL);
    PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n.reader_oid), array_agg(DISTINCT n.reader) INTO v_oids, v_names FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT d.reader_oid), array_agg(DISTINCT d.reader) INTO v_oids, v_names FROM old_rows d;
  ELSE
    SELECT array_agg(DISTINCT x.reader_oid), array_agg(DISTINCT x.reader) INTO v_oids, v_names
      FROM (SELECT n.reader_oid, n.reader FROM new_rows n UNION ALL SELECT d.reader_oid, d.reader FROM old_rows d) x;
  END IF;
  IF v_oids IS NULL THEN RETURN NULL; END IF; -- the statement changed no row
  IF TG_OP <> 'DELETE' THEN
    IF TG_TABLE_NAME = 'partition_acl' THEN
      FOR r IN SELECT n.rows FROM new_rows n LOOP
        IF r.rows IS DISTINCT FROM ducklake_guard.canonical_rows(r.rows) THEN
          RAISE EXCEPTION 'partition_acl.rows % is not in canonical form (expected %)', r.rows, ducklake_guard.canonical_rows(r.rows)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ducklake_guard.grant_rows(reader, schema, table, filter).';
        END IF;
      END LOOP;
    END IF;
    FOR r IN SELECT DISTINCT n.reader FROM new_rows n
               JOIN pg_catalog.pg_roles ro ON ro.oid = n.reader_oid AND ro.rolname = n.reader LOOP
      PERFORM ducklake_guard.check_reader(r.reader);
      IF NOT pg_catalog.pg_has_role(r.reader, 'ducklake_reader', 'MEMBER') THEN
        EXECUTE pg_catalog.format('GRANT ducklake_reader TO %I', r.reader);
      END IF;
    END LOOP;
  END IF;
  SELECT array_agg(DISTINCT u) INTO v_oids
    FROM unnest(v_oids || ARRAY(SELECT ro.oid FROM pg_catalog.pg_roles ro WHERE ro.rolname = ANY (v_names))) u;
  FOREACH o IN ARRAY v_oids LOOP
    PERFORM ducklake_guard.refresh_visible(o);
  END LOOP;
  IF cardinality(v_oids) = 1 THEN
    PERFORM ducklake_guard.sync_inlined_grants(v_oids[1], NULL);
  ELSE
    PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER enforce_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ducklake_guard.partition_acl
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.lock_acl();
CREATE OR REPLACE TRIGGER log_insert_delete AFTER INSERT OR DELETE ON ducklake_guard.partition_acl
  FOR EACH ROW EXECUTE FUNCTION ducklake_guard.log_partition_acl_change();
CREATE OR REPLACE TRIGGER log_update AFTER UPDATE ON ducklake_guard.partition_acl
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ducklake_guard.log_partition_acl_change();
CREATE OR REPLACE TRIGGER log_truncate BEFORE TRUNCATE ON ducklake_guard.partition_acl
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.log_partition_acl_change();
CREATE OR REPLACE TRIGGER enforce_insert AFTER INSERT ON ducklake_guard.partition_acl
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
CREATE OR REPLACE TRIGGER enforce_update AFTER UPDATE ON ducklake_guard.partition_acl
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
CREATE OR REPLACE TRIGGER enforce_delete AFTER DELETE ON ducklake_guard.partition_acl
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
CREATE OR REPLACE TRIGGER enforce_truncate AFTER TRUNCATE ON ducklake_guard.partition_acl
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
ALTER TABLE ducklake_guard.partition_acl ENABLE ALWAYS TRIGGER enforce_lock, ENABLE ALWAYS TRIGGER enforce_insert,
  ENABLE ALWAYS TRIGGER enforce_update, ENABLE ALWAYS TRIGGER enforce_delete, ENABLE ALWAYS TRIGGER enforce_truncate,
  ENABLE ALWAYS TRIGGER log_insert_delete, ENABLE ALWAYS TRIGGER log_update, ENABLE ALWAYS TRIGGER log_truncate;

-- ---- What `npm run status` checks (006), with partition grants ------------------------------------------------

CREATE OR REPLACE FUNCTION ducklake_guard.enforcement_drift()
RETURNS TABLE (area text, reader name, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_owner oid := (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting st ON st.key = 'catalog_owner' AND st.value = ro.rolname);
BEGIN
  RETURN QUERY
    WITH e AS (SELECT x.role_oid, x.kind, x.object_id FROM ducklake_guard.expected_visible(NULL) x),
    v AS (SELECT y.role_oid, y.kind, y.object_id FROM ducklake_guard.visible y)
    SELECT 'visible'::text, coalesce(ro.rolname, ('oid ' || d.role_oid)::name),
           CASE d.kind WHEN 's' THEN 'schema' WHEN 't' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'macro'
                       WHEN 'p' THEN 'partition-granted table' ELSE 'data file' END
             || ' id ' || d.object_id || CASE WHEN d.missing THEN ' is granted but not visible' ELSE ' is visible but not granted' END
      FROM (SELECT e.*, true AS missing FROM e WHERE NOT EXISTS (SELECT FROM v WHERE v.role_oid = e.role_oid AND v.kind = e.kind AND v.object_id = e.object_id)
            UNION ALL
            SELECT v.*, false FROM v WHERE NOT EXISTS (SELECT FROM e WHERE e.role_oid = v.role_oid AND e.kind = v.kind AND e.object_id = v.object_id)
              -- ids of files DuckLake deleted since (expired snapshots) are harmless leftovers until the next rebuild
              AND NOT (v.kind = 'f' AND NOT ducklake_guard.data_file_exists(v.object_id))) d
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = d.role_oid;
  RETURN QUERY
    WITH e AS (SELECT k.role_oid, k.table_id, k.grant_id, k.column_name, k.column_id, k.transform, k.vals, k.has_null, k.hexes
                 FROM ducklake_guard.partition_keys(NULL) k),
    w AS (SELECT y.role_oid, y.table_id, y.grant_id, y.column_name, y.column_id, y.transform, y.vals, y.has_null, y.hexes
            FROM ducklake_guard.visible_rows y)
    SELECT 'visible'::text, coalesce(ro.rolname, ('oid ' || d.role_oid)::name),
           format('partition key %s of grant %s on table id %s %s', d.column_name || '/' || d.transform, d.grant_id, d.table_id,
                  CASE WHEN d.missing THEN 'is granted but not in visible_rows' ELSE 'is in visible_rows but not granted' END)
      FROM (SELECT e.*, true AS missing FROM e EXCEPT ALL SELECT w.*, true FROM w
            UNION ALL
            (SELECT w.*, false FROM w EXCEPT ALL SELECT e.*, false FROM e)) d
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = d.role_oid;
  RETURN QUERY
    WITH inl AS (SELECT c.oid, c.relname, c.relowner, c.relacl, ducklake_guard.inlined_is_filtered(c.oid) AS filtered,
                        (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
                   FROM pg_catalog.pg_class c
                  WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind = 'r'
                    AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$')
    SELECT 'inlined'::text, ro.rolname, format('may not SELECT %I.%I although it sees table id %s', v_schema, inl.relname, inl.table_id)
      FROM inl JOIN ducklake_guard.visible vi ON vi.object_id = inl.table_id AND (vi.kind = 't' OR (vi.kind = 'p' AND inl.filtered))
      JOIN pg_catalog.pg_roles ro ON ro.oid = vi.role_oid
     WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(inl.relacl) a WHERE a.grantee = vi.role_oid AND a.privilege_type = 'SELECT')
       AND (vi.kind = 't' OR NOT EXISTS (SELECT FROM ducklake_guard.visible v2 WHERE v2.role_oid = vi.role_oid AND v2.kind = 't' AND v2.object_id = inl.table_id))
    UNION ALL
    -- A partition reader cannot read an inlined table without the row filter (fail closed): its DuckDB scans of the
    -- table fail until a superuser or the table's owner puts the filter on.
    -- The repair depends on who may put the filter on: the catalog owner when it has the table owner's privileges
    -- (GRANT <writer> TO <owner>), else a superuser; without one, that membership is the fix.
    SELECT 'inlined'::text, ro.rolname,
           format('cannot read %I.%I (inlined rows of table id %s, owned by %s): it has no row filter; %s',
                  v_schema, inl.relname, inl.table_id, coalesce(ow.rolname, 'oid ' || inl.relowner),
                  CASE WHEN v_owner IS NOT NULL AND pg_catalog.pg_has_role(v_owner, inl.relowner, 'USAGE')
                         THEN 'as the catalog owner run: SELECT ducklake_guard.resync();'
                       WHEN EXISTS (SELECT FROM pg_catalog.pg_event_trigger e WHERE e.evtname = 'ducklake_guard_a_inlined_row_filter')
                         THEN 'as a superuser re-run sql/007_partition_grants.sql (not a guard function: the catalog owner can replace those);'
                       ELSE format('only its owner or a superuser can put it on: make the catalog owner a member of %s (run `pulumi up`, or as the admin: GRANT %I TO %I;), then as the catalog owner run: SELECT ducklake_guard.resync();',
                                   coalesce(ow.rolname, 'oid ' || inl.relowner), coalesce(ow.rolname, 'oid ' || inl.relowner),
                                   coalesce((SELECT ro3.rolname FROM pg_catalog.pg_roles ro3 WHERE ro3.oid = v_owner), 'the catalog owner'))
                  END)
      FROM inl JOIN ducklake_guard.visible vi ON vi.object_id = inl.table_id AND vi.kind = 'p'
      JOIN pg_catalog.pg_roles ro ON ro.oid = vi.role_oid
      LEFT JOIN pg_catalog.pg_roles ow ON ow.oid = inl.relowner
     WHERE NOT inl.filtered
       AND NOT EXISTS (SELECT FROM ducklake_guard.visible v2 WHERE v2.role_oid = vi.role_oid AND v2.kind = 't' AND v2.object_id = inl.table_id)
    UNION ALL
    SELECT 'inlined'::text, CASE WHEN a.grantee = 0 THEN 'PUBLIC'::name ELSE ro.rolname END,
           format('may %s %I.%I (table id %s) without a grant (granted by %s)', a.privilege_type, v_schema, inl.relname, inl.table_id,
                  coalesce(gr.rolname, 'oid ' || a.grantor))
      FROM inl, pg_catalog.aclexplode(inl.relacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = a.grantee
      LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
     WHERE a.grantee <> inl.relowner
       AND a.grantee IS DISTINCT FROM (SELECT ro2.oid FROM pg_catalog.pg_roles ro2 JOIN ducklake_guard.setting st
                                        ON st.key = 'catalog_owner' AND st.value = ro2.rolname)
       AND (a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER'))
       AND NOT EXISTS (SELECT FROM ducklake_guard.visible vi WHERE vi.role_oid = a.grantee AND vi.object_id = inl.table_id
                          AND (vi.kind = 't' OR (vi.kind = 'p' AND inl.filtered)));
  RETURN QUERY
    SELECT 'other'::text, CASE WHEN a.grantee = 0 THEN 'PUBLIC'::name ELSE ro.rolname END,
           format('may %s %I.%I, which is not a catalog table the guard filters (granted by %s)', a.privilege_type, v_schema, c.relname,
                  coalesce(gr.rolname, 'oid ' || a.grantor))
      FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = a.grantee
      LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
     WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND c.relname !~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$'
       AND NOT EXISTS (SELECT FROM ducklake_guard.catalog_rule cr WHERE cr.table_name = c.relname)
       AND a.grantee <> c.relowner
       AND (a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER'))
       AND a.grantee IS DISTINCT FROM (SELECT ro2.oid FROM pg_catalog.pg_roles ro2 JOIN ducklake_guard.setting st
                                        ON st.key = 'catalog_owner' AND st.value = ro2.rolname);
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.data_file_exists(p_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE b boolean;
BEGIN
  IF NOT ducklake_guard.has_catalog_table('ducklake_data_file') THEN RETURN false; END IF;
  EXECUTE format('SELECT EXISTS (SELECT FROM %I.ducklake_data_file d WHERE d.data_file_id = $1)', ducklake_guard.catalog_schema()) INTO b USING p_id;
  RETURN b;
END
$$;

-- ---- Privileges and comments --------------------------------------------------------------------------------

DO $guard$
DECLARE f record;
BEGIN
  FOR f IN SELECT p.oid::pg_catalog.regprocedure AS sig FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'ducklake_guard'::pg_catalog.regnamespace LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
  END LOOP;
END
$guard$;
-- The inlined-row policy calls it as the reader; it reads only the caller's own visible_rows.
GRANT EXECUTE ON FUNCTION ducklake_guard.inlined_row_visible(bigint, jsonb, text[]) TO ducklake_reader;

COMMENT ON TABLE ducklake_guard.partition_acl IS 'ducklake_guard: partition grants, one row per grant (reader, table, canonical filter `rows`, pinned ids). Owner only; change it with grant_rows/revoke_rows or by hand: every change is logged (acl_log) and enforced in the same statement.';
COMMENT ON SEQUENCE ducklake_guard.partition_acl_id_seq IS 'ducklake_guard: ids of partition grants (visible_rows.grant_id). Owner only.';
COMMENT ON INDEX ducklake_guard.partition_acl_table_id IS 'ducklake_guard: finds the partition grants of a table when DuckLake adds files.';
COMMENT ON TABLE ducklake_guard.partition_rule IS 'ducklake_guard: catalog tables that also get the restrictive policy ducklake_guard_partition (rule file or table_full, expanded by rule_predicate). Owner only.';
COMMENT ON FUNCTION ducklake_guard.protect_partitions() IS 'ducklake_guard: (re)creates the restrictive ducklake_guard_partition policies of partition_rule. Owner only; called by attach_triggers.';
COMMENT ON FUNCTION ducklake_guard.rule_predicate(text, text) IS 'ducklake_guard: the policy expression of one catalog_rule or partition_rule rule. Owner only (install time).';
COMMENT ON FUNCTION ducklake_guard.recount_visible() IS 'ducklake_guard trigger on visible: recounts the tables (whole or through partition grants) of the roles a statement touched. Not callable.';
COMMENT ON FUNCTION ducklake_guard.on_catalog_insert() IS 'ducklake_guard trigger on ducklake_table/_view/_macro/_inlined_data_tables/_file_partition_value: follows objects and files DuckLake adds. Not callable.';
COMMENT ON FUNCTION ducklake_guard.attach_triggers() IS 'ducklake_guard: (re)creates the ducklake_guard_resolve triggers on the catalog tables and the partition policies. Owner only.';
COMMENT ON TABLE ducklake_guard.visible_rows IS 'ducklake_guard: the keys of each reader''s partition grants, read by the row filter of inlined tables. Maintained by refresh_visible; each reader may SELECT its own rows.';
COMMENT ON POLICY own_rows ON ducklake_guard.visible_rows IS 'ducklake_guard: a reader sees only its own granted keys.';
COMMENT ON COLUMN ducklake_guard.acl_log.rows IS 'the filter of a partition grant (partition_acl.rows); NULL for table and schema grants.';
COMMENT ON TABLE ducklake_guard.visible IS 'ducklake_guard: the ACL resolved to catalog ids per role oid (kind s/t/v/m; p = table seen through partition grants, f = data file of a partition grant), read by the catalog policies. Maintained by the guard''s triggers and functions only; each reader may SELECT its own rows.';
COMMENT ON FUNCTION ducklake_guard.canonical_rows(jsonb) IS 'ducklake_guard: checks a partition filter''s shape and returns its canonical form. Owner only.';
COMMENT ON FUNCTION ducklake_guard.partition_spec_text(bigint) IS 'ducklake_guard: a table''s current partitioning as DDL, for messages. Owner only.';
COMMENT ON FUNCTION ducklake_guard.resolve_row_keys(text, text, bigint, jsonb) IS 'ducklake_guard: pins the column of each key of a partition filter; refuses keys not in the current partitioning. Owner only.';
COMMENT ON FUNCTION ducklake_guard.partition_keys(oid) IS 'ducklake_guard: the keys of the partition grants of one role (or all). Owner only.';
COMMENT ON FUNCTION ducklake_guard.expected_files(oid, bigint[]) IS 'ducklake_guard: the data files partition grants cover (per file spec and values). Owner only.';
COMMENT ON FUNCTION ducklake_guard.inlined_row_visible(bigint, jsonb, text[]) IS 'ducklake_guard: whether an inlined row falls in the current reader''s partition grants; called by the inlined tables'' row filter as the reader.';
COMMENT ON FUNCTION ducklake_guard.inlined_policy_sql(oid) IS 'ducklake_guard: the statements putting the row filter on one inlined table. Owner only.';
COMMENT ON FUNCTION ducklake_guard.is_reader_sql() IS 'ducklake_guard: the policy expression telling an enrolled reader from every other role (owner, writer). Owner only (install time).';
COMMENT ON FUNCTION ducklake_guard.inlined_tables(bigint[]) IS 'ducklake_guard: the inlined tables of some DuckLake table ids (index lookups by name) or of all (NULL). Owner only.';
COMMENT ON FUNCTION ducklake_guard.inlined_filter_mechanism() IS 'ducklake_guard: who puts the row filter on new inlined tables of the writer: event_trigger (superuser), owner_member_of_writer (the commit trigger, GRANT <writer> TO <owner>), both, or none (partition readers cannot read them: fail closed). Owner only.';
COMMENT ON FUNCTION ducklake_guard.inlined_is_filtered(oid) IS 'ducklake_guard: whether an inlined table carries the row filter. Owner only.';
COMMENT ON FUNCTION ducklake_guard.filter_inlined_tables(bigint[]) IS 'ducklake_guard: puts the row filter on the inlined tables the caller may alter (the writer''s too when the catalog owner is a member of the writer). Owner only: a superuser must never call it (the catalog owner can replace it; its code would run as the superuser): re-run sql/007_partition_grants.sql instead.';
COMMENT ON FUNCTION ducklake_guard.grant_rows(name, text, text, jsonb) IS 'ducklake_guard: grants a reader the rows of one table whose partition keys take the listed values; true if the ACL changed. Owner only.';
COMMENT ON FUNCTION ducklake_guard.revoke_rows(name, text, text, jsonb) IS 'ducklake_guard: removes one partition grant; false if there was none. Owner only.';
COMMENT ON FUNCTION ducklake_guard.list_grants(text) IS 'ducklake_guard: the ACL (table, schema and partition grants: rows) with what each pinned id is called now (active | renamed | dropped | role missing). Owner only.';
COMMENT ON FUNCTION ducklake_guard.log_partition_acl_change() IS 'ducklake_guard trigger on partition_acl: appends each change to acl_log, as the editing role. Not callable.';
COMMENT ON FUNCTION ducklake_guard.data_file_exists(bigint) IS 'ducklake_guard: whether a data file id is in the catalog. Owner only.';
COMMENT ON TRIGGER enforce_lock ON ducklake_guard.partition_acl IS 'ducklake_guard: serializes ACL statements (the lock of acl).';
COMMENT ON TRIGGER enforce_insert ON ducklake_guard.partition_acl IS 'ducklake_guard: enforces inserted partition grants in the same statement.';
COMMENT ON TRIGGER enforce_update ON ducklake_guard.partition_acl IS 'ducklake_guard: enforces changed partition grants in the same statement.';
COMMENT ON TRIGGER enforce_delete ON ducklake_guard.partition_acl IS 'ducklake_guard: enforces removed partition grants in the same statement.';
COMMENT ON TRIGGER enforce_truncate ON ducklake_guard.partition_acl IS 'ducklake_guard: rebuilds everything after a TRUNCATE of the partition ACL.';
COMMENT ON TRIGGER log_insert_delete ON ducklake_guard.partition_acl IS 'ducklake_guard: logs partition grants and revokes to acl_log.';
COMMENT ON TRIGGER log_update ON ducklake_guard.partition_acl IS 'ducklake_guard: logs changed partition grants to acl_log.';
COMMENT ON TRIGGER log_truncate ON ducklake_guard.partition_acl IS 'ducklake_guard: logs every partition grant a TRUNCATE removes.';

-- Policies of the changed rules, the new file triggers, visible (with 'p'/'f'), visible_rows, inlined filters.
INSERT INTO ducklake_guard.visible_count (role_oid, tables)
  SELECT v.role_oid, count(*) FILTER (WHERE v.kind IN ('t', 'p')) FROM ducklake_guard.visible v GROUP BY v.role_oid
  ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;
SELECT ducklake_guard.protect_catalog();
SELECT ducklake_guard.attach_triggers();
SELECT ducklake_guard.resync();

-- ---- As a superuser: the row filter on inlined tables the writer creates -----------------------------------
-- Only a table's owner or a superuser may enable row-level security on it, and DuckLake's writer owns the inlined
-- tables it creates. This event trigger puts the filter on at creation. Its function is owned by the superuser and
-- SECURITY DEFINER, so at run time it reads pg_catalog only and calls nothing the catalog owner owns (the
-- catalog owner owns the schema ducklake_guard and everything in it: any table, view or function it could
-- replace would run as the superuser). The catalog schema's name and the catalog owner are written into its body
-- as literals when this file creates it, and it builds the same statements as inlined_policy_sql inline. It sorts
-- before ducklake_guard_create_table (event triggers fire in name order), whose grant sync then sees the filter.
-- Everything this file does as the superuser below likewise touches only pg_catalog and the superuser's own
-- functions; the grant sync and the setting row are written as the catalog owner.
RESET ROLE;
DO $guard$
DECLARE
  v_guard_owner oid;
  v_owner text;
  v_schema text;
  v_nsp oid;
  r record;
  -- One inlined table (r.oid, r.relname, r.table_id) of the catalog schema (v_schema): the row filter's statements.
  -- Policy expressions are parsed, not run, by CREATE POLICY; readers run them, as themselves.
  one constant text := $one$
    BEGIN
      v_whole := pg_catalog.format('EXISTS (SELECT FROM ducklake_guard.visible v WHERE v.role_oid = %s AND v.kind = ''t'' AND v.object_id = %s)', me, r.table_id);
      EXECUTE pg_catalog.format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', v_schema, r.relname);
      EXECUTE pg_catalog.format('DROP POLICY IF EXISTS ducklake_guard_rows ON %I.%I', v_schema, r.relname);
      IF r.relname LIKE 'ducklake_inlined_data_%' THEN
        SELECT coalesce(pg_catalog.array_agg(a.attname::text ORDER BY a.attnum), '{}') INTO v_bytea FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'pg_catalog.bytea'::pg_catalog.regtype;
        EXECUTE pg_catalog.format('CREATE POLICY ducklake_guard_rows ON %I.%I FOR SELECT TO ducklake_reader USING (%s OR ducklake_guard.inlined_row_visible(%s, pg_catalog.to_jsonb(%I.*), %L::text[]))',
                                  v_schema, r.relname, v_whole, r.table_id, r.relname, v_bytea);
      ELSE
        EXECUTE pg_catalog.format('CREATE POLICY ducklake_guard_rows ON %I.%I FOR SELECT TO ducklake_reader USING (%s OR EXISTS (SELECT FROM ducklake_guard.visible f WHERE f.role_oid = %s AND f.kind = ''f'' AND f.object_id = file_id))',
                                  v_schema, r.relname, v_whole, me);
      END IF;
      EXECUTE pg_catalog.format('COMMENT ON POLICY ducklake_guard_rows ON %I.%I IS %L', v_schema, r.relname,
                                'ducklake_guard: readers of the whole table see every row; readers with partition grants only rows in their partitions (inlined data: by column value; inlined deletes: of visible files)');
      EXECUTE pg_catalog.format('DROP POLICY IF EXISTS ducklake_guard_others ON %I.%I', v_schema, r.relname);
      EXECUTE pg_catalog.format('CREATE POLICY ducklake_guard_others ON %I.%I FOR ALL TO PUBLIC USING (NOT %s) WITH CHECK (NOT %s)',
                                v_schema, r.relname, v_reader, v_reader);
      EXECUTE pg_catalog.format('COMMENT ON POLICY ducklake_guard_others ON %I.%I IS %L', v_schema, r.relname,
                                'ducklake_guard: every role that is not an enrolled reader (the catalog owner, a writer without BYPASSRLS) keeps what its table privileges give');
    EXCEPTION WHEN OTHERS THEN
      -- Never break the writer's commit; partition readers then get no SELECT on the table (fail closed).
      RAISE WARNING 'ducklake_guard could not put the row filter on %.%: % (as a superuser re-run sql/007_partition_grants.sql)',
        v_schema, r.relname, SQLERRM;
    END;$one$;
  vars constant text := $vars$
  v_schema constant text := @schema@;
  me constant text := 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid';
  v_reader constant text := 'EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.roleid = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ''ducklake_reader'')'
                            || ' AND m.member = pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid AND NOT m.admin_option)';
  r record;
  v_whole text;
  v_bytea text[];$vars$;
  pattern constant text := '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$';
BEGIN
  IF NOT (SELECT ro.rolsuper FROM pg_catalog.pg_roles ro WHERE ro.rolname = current_user) THEN RETURN; END IF;
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  -- Cheap sanity before reading anything of the catalog owner's as the superuser: setting is a plain table of the
  -- guard schema's owner, with text columns (a plain table runs no code of its owner's on SELECT: a superuser
  -- bypasses row-level security; ONLY skips child tables).
  v_guard_owner := (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'ducklake_guard');
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass('ducklake_guard.setting')
                    AND c.relkind = 'r' AND c.relowner = v_guard_owner)
     OR EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_catalog.to_regclass('ducklake_guard.setting')
                   AND a.attname IN ('key', 'value') AND a.atttypid <> 'pg_catalog.text'::pg_catalog.regtype) THEN
    RAISE EXCEPTION 'ducklake_guard.setting is not the guard''s plain table owned by the catalog owner: refusing to act on it as a superuser';
  END IF;
  SELECT s.value INTO v_owner FROM ONLY ducklake_guard.setting s WHERE s.key = 'catalog_owner';
  SELECT s.value INTO v_schema FROM ONLY ducklake_guard.setting s WHERE s.key = 'catalog_schema';
  v_nsp := pg_catalog.to_regnamespace(pg_catalog.quote_ident(v_schema));
  IF pg_catalog.to_regrole(pg_catalog.quote_ident(v_owner)) IS DISTINCT FROM v_guard_owner OR v_nsp IS NULL THEN
    RAISE EXCEPTION 'setting catalog_owner (%) must own the schema ducklake_guard and catalog_schema (%) must exist', v_owner, v_schema;
  END IF;

  -- Dropped first (with an event trigger on it): a function of that name the catalog owner made would keep its
  -- owner under CREATE OR REPLACE.
  DROP FUNCTION IF EXISTS ducklake_guard.on_create_inlined_table() CASCADE;
  -- Tokens are replaced code first, the schema's name (a literal) last, so no name is ever scanned for a token.
  EXECUTE pg_catalog.replace(pg_catalog.replace(pg_catalog.replace($fn$
CREATE FUNCTION ducklake_guard.on_create_inlined_table() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE @vars@
BEGIN
  FOR r IN SELECT c.oid, c.relname, (pg_catalog.regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
             FROM pg_catalog.pg_event_trigger_ddl_commands() d JOIN pg_catalog.pg_class c ON c.oid = d.objid
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.schema_name = v_schema AND c.relkind = 'r'
              AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$' LOOP
@one@
  END LOOP;
END
$body$$fn$, '@one@', one), '@vars@', vars), '@schema@', pg_catalog.quote_literal(v_schema));
  REVOKE ALL ON FUNCTION ducklake_guard.on_create_inlined_table() FROM PUBLIC;
  -- Harmless (an event trigger function cannot be called) and needed: the guard's files revoke every guard
  -- function from PUBLIC as the catalog owner, which fails on a function the owner holds no privilege on.
  EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION ducklake_guard.on_create_inlined_table() TO %I', v_owner);
  EXECUTE pg_catalog.format('COMMENT ON FUNCTION ducklake_guard.on_create_inlined_table() IS %L',
    'ducklake_guard event trigger function (owned by a superuser): puts the row filter on a new inlined table of catalog schema '
    || pg_catalog.quote_ident(v_schema) || ' (written into its body; it reads pg_catalog only and calls no function of the catalog owner). '
    || 'The catalog owner, as owner of schema ducklake_guard, can still DROP it (CASCADE drops the event trigger): that only stops the filter '
    || 'on new inlined tables of the writer, whose partition readers then get no SELECT (fail closed; status/enforcement_drift name them). Not callable.');
  DROP EVENT TRIGGER IF EXISTS ducklake_guard_a_inlined_row_filter;
  CREATE EVENT TRIGGER ducklake_guard_a_inlined_row_filter ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
    EXECUTE FUNCTION ducklake_guard.on_create_inlined_table();
  COMMENT ON EVENT TRIGGER ducklake_guard_a_inlined_row_filter IS 'ducklake_guard: puts the row filter on a new inlined table (fires before ducklake_guard_create_table, which grants it).';

  -- Inlined tables that exist now and lack the filter, whoever owns them: the same code in a function of the
  -- superuser's own temporary schema (the catalog owner cannot reach it), found through pg_class.
  EXECUTE pg_catalog.replace(pg_catalog.replace(pg_catalog.replace($fn$
CREATE FUNCTION pg_temp.ducklake_guard_filter_inlined(p_rel oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $body$
DECLARE @vars@
BEGIN
  SELECT c.oid, c.relname, (pg_catalog.regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
    INTO r FROM pg_catalog.pg_class c WHERE c.oid = p_rel;
@one@
END
$body$$fn$, '@one@', one), '@vars@', vars), '@schema@', pg_catalog.quote_literal(v_schema));
  FOR r IN SELECT c.oid FROM pg_catalog.pg_class c
            WHERE c.relnamespace = v_nsp AND c.relkind = 'r' AND c.relname ~ pattern
              AND NOT (c.relrowsecurity AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'ducklake_guard_rows'))
            ORDER BY c.relname LOOP
    PERFORM pg_temp.ducklake_guard_filter_inlined(r.oid);
  END LOOP;
  DROP FUNCTION pg_temp.ducklake_guard_filter_inlined(oid);
  PERFORM pg_catalog.set_config('ducklake_guard.superuser_filter', 'installed', true);
END
$guard$;

-- As the catalog owner again: grant the inlined tables to partition readers and record who filters new ones.
DO $guard$
DECLARE
  v_owner text := (SELECT ro.rolname FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles ro ON ro.oid = n.nspowner
                    WHERE n.nspname = 'ducklake_guard');
  v_writer text;
BEGIN
  IF v_owner <> current_user THEN EXECUTE pg_catalog.format('SET LOCAL ROLE %I', v_owner); END IF;
  IF pg_catalog.current_setting('ducklake_guard.superuser_filter', true) = 'installed' THEN
    PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
    INSERT INTO ducklake_guard.setting VALUES ('inlined_row_filter', 'installed')
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  ELSE
    -- Without a superuser the catalog owner filters the writer's new inlined tables at COMMIT (the commit trigger of
    -- the next migration calls sync_inlined_grants) when it has the writer's privileges. The writer is the one
    -- recorded, or the one this install is given (recorded by the next migration).
    v_writer := coalesce((SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_writer'),
                         nullif(pg_catalog.current_setting('ducklake_guard.catalog_writer', true), ''));
    IF v_writer IS NOT NULL AND pg_catalog.to_regrole(pg_catalog.quote_ident(v_writer)) IS NOT NULL
       AND pg_catalog.pg_has_role(v_owner, v_writer, 'USAGE') THEN
      INSERT INTO ducklake_guard.setting VALUES ('inlined_row_filter', 'owner_member_of_writer')
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE ducklake_guard.setting.value = 'missing';
    ELSE
      RAISE WARNING '%', pg_catalog.format('not a superuser, and the catalog owner %I is not a member of the writer %s: new inlined tables of the writer get no row filter, so partition readers cannot read them (fail closed). Fix: as the admin GRANT %s TO %I; (`pulumi up` does it on the external target), or as a superuser run sql/007_partition_grants.sql',
                                            v_owner, coalesce(pg_catalog.quote_ident(v_writer), '(none recorded)'),
                                            coalesce(pg_catalog.quote_ident(v_writer), '<writer>'), v_owner);
      INSERT INTO ducklake_guard.setting VALUES ('inlined_row_filter', 'missing') ON CONFLICT (key) DO NOTHING;
    END IF;
  END IF;
END
$guard$;

INSERT INTO ducklake_guard.migration (version, name)
  VALUES (pg_catalog.current_setting('ducklake_guard.this_version')::integer, '007_partition_grants') ON CONFLICT (version) DO NOTHING;
COMMIT;
