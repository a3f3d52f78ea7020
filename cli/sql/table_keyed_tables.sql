-- Without the guard (no ducklake_guard.catalog_rule): the DuckLake catalog tables of the current schema whose
-- rows belong to one table, found by their table_id column.
SELECT c.relname::text AS table_name
FROM pg_catalog.pg_class c
WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
  AND c.relkind IN ('r', 'p') AND c.relname LIKE 'ducklake\_%' AND c.relname !~ '^ducklake_inlined_(data|delete)_'
  AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'table_id' AND NOT a.attisdropped)
ORDER BY 1
