-- Current DuckLake tables (latest snapshot) with their schema and stored path. Run as the catalog owner
-- it lists the whole lake; run as a reader, the catalog guard's row-level security leaves only what the
-- reader was granted.
SELECT t.table_id, s.schema_name, t.table_name, t.path, t.path_is_relative
FROM ducklake_table t
JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
WHERE t.end_snapshot IS NULL
ORDER BY t.table_id
