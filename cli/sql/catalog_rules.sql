-- The catalog guard's rule for each catalog table present in the catalog schema: ducklake_guard.catalog_rule is
-- the one list of catalog tables and how readers are filtered (sql/002). Needs the catalog owner or a superuser.
SELECT r.table_name::text AS table_name, r.rule
FROM ducklake_guard.catalog_rule r
JOIN pg_catalog.pg_class c ON c.relname = r.table_name AND c.relkind IN ('r', 'p')
 AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
ORDER BY 1
