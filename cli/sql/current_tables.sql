-- Current DuckLake tables (latest snapshot) with their schema and storage paths. Run as the catalog
-- owner it lists the whole lake; run as a reader, the catalog guard's row-level security leaves only
-- what the reader was granted. Unqualified names: the caller sets search_path to the catalog schema.
SELECT t.table_id::bigint AS table_id,
       s.schema_name,
       t.table_name,
       s.path AS schema_path,
       s.path_is_relative AS schema_path_is_relative,
       t.path AS table_path,
       t.path_is_relative AS table_path_is_relative
FROM ducklake_table t
JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
WHERE t.end_snapshot IS NULL
ORDER BY s.schema_name, t.table_name
