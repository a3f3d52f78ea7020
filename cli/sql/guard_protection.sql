-- Per catalog table the guard has a rule for (present in the catalog schema): row-level security on, the guard's
-- read policy present as the guard makes it (permissive, SELECT, to ducklake_reader only), and any other policy
-- (another permissive policy widens what readers see; the guard's own restrictive ducklake_guard_partition of 007,
-- SELECT to ducklake_reader, only narrows it and is not listed). Needs the catalog owner or a superuser.
SELECT r.table_name::text AS table_name, c.relrowsecurity AS rls,
       EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'ducklake_guard_read'
                  AND p.polcmd = 'r' AND p.polpermissive
                  AND p.polroles = ARRAY[(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'ducklake_reader')]) AS guard_policy,
       ARRAY(SELECT p.polname::text FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname <> 'ducklake_guard_read'
                AND NOT (p.polname = 'ducklake_guard_partition' AND NOT p.polpermissive AND p.polcmd = 'r'
                         AND p.polroles = ARRAY[(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'ducklake_reader')])
              ORDER BY 1) AS other_policies
FROM ducklake_guard.catalog_rule r
JOIN pg_catalog.pg_class c ON c.relname = r.table_name AND c.relkind IN ('r', 'p')
 AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
ORDER BY 1
