-- Current DuckLake schemas (latest snapshot) with their stored paths.
SELECT schema_id, schema_name, path, path_is_relative
FROM ducklake_schema
WHERE end_snapshot IS NULL
ORDER BY schema_id
