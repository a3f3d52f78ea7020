-- Every DuckLake schema (s), table (t), view (v) and macro (m) id in the catalog, any snapshot, with its latest
-- name (tables, views and macros qualified by their schema), schema id and whether it exists now: to name what a
-- reader must not see.
WITH sch AS (SELECT DISTINCT ON (schema_id) schema_id, schema_name FROM ducklake_schema ORDER BY schema_id, begin_snapshot DESC)
SELECT DISTINCT ON (kind, id) kind, id::bigint AS id, schema_id::bigint AS schema_id, name, end_snapshot IS NULL AS current FROM (
  SELECT 's' AS kind, s.schema_id AS id, s.schema_id, s.schema_name::text AS name, s.begin_snapshot, s.end_snapshot FROM ducklake_schema s
  UNION ALL SELECT 't', t.table_id, t.schema_id, coalesce(sch.schema_name, '?') || '.' || t.table_name, t.begin_snapshot, t.end_snapshot
    FROM ducklake_table t LEFT JOIN sch USING (schema_id)
  UNION ALL SELECT 'v', v.view_id, v.schema_id, coalesce(sch.schema_name, '?') || '.' || v.view_name, v.begin_snapshot, v.end_snapshot
    FROM ducklake_view v LEFT JOIN sch USING (schema_id)
  UNION ALL SELECT 'm', m.macro_id, m.schema_id, coalesce(sch.schema_name, '?') || '.' || m.macro_name, m.begin_snapshot, m.end_snapshot
    FROM ducklake_macro m LEFT JOIN sch USING (schema_id)
) x
ORDER BY kind, id, begin_snapshot DESC
