-- DuckLake catalog tables present in the current schema, and the catalog's format version.
SELECT count(*)::int AS tables,
       (SELECT value FROM ducklake_metadata WHERE key = 'version' AND scope IS NULL LIMIT 1) AS version
FROM pg_class c
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind IN ('r', 'p')
  AND c.relname IN ('ducklake_metadata', 'ducklake_snapshot', 'ducklake_schema', 'ducklake_table',
                    'ducklake_column', 'ducklake_data_file', 'ducklake_delete_file')
