-- PostgreSQL tables holding inlined rows (data and deletes) per DuckLake table. Their table id is in
-- the name, so the guard protects them with table privileges, not row-level security.
SELECT i.table_id::bigint AS table_id, i.table_name
FROM ducklake_inlined_data_tables i
UNION
SELECT substring(c.relname FROM '^ducklake_inlined_delete_([0-9]+)$')::bigint, c.relname::text
FROM pg_class c
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind IN ('r', 'p')
  AND c.relname ~ '^ducklake_inlined_delete_[0-9]+$'
ORDER BY 1, 2
