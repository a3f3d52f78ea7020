-- The partition guard's second, restrictive rule per catalog table (sql/007: ducklake_guard.partition_rule, rule
-- 'file' or 'table_full'), for the catalog tables present in the catalog schema. Needs the catalog owner or a superuser.
SELECT r.table_name::text AS table_name, r.rule
FROM ducklake_guard.partition_rule r
JOIN pg_catalog.pg_class c ON c.relname = r.table_name AND c.relkind IN ('r', 'p')
 AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
ORDER BY 1
