-- Per catalog table the guard has a rule for (present in the catalog schema): row-level security on, the guard's
-- read policy present as the guard makes it (permissive, SELECT, to ducklake_reader only), the guard's write policy
-- for the recorded writer (setting catalog_writer; from the external-catalog migration on), and any other policy
-- (another permissive policy widens what readers see; the guard's own restrictive ducklake_guard_partition of the
-- partition-grants migration, SELECT to ducklake_reader, only narrows it and is not listed). Needs the catalog owner,
-- a member of it, or a superuser.
WITH w AS (SELECT (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting s
                     ON s.key = 'catalog_writer' AND s.value = ro.rolname) AS writer)
SELECT r.table_name::text AS table_name, c.relrowsecurity AS rls,
       EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'ducklake_guard_read'
                  AND p.polcmd = 'r' AND p.polpermissive
                  AND p.polroles = ARRAY[(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'ducklake_reader')]) AS guard_policy,
       pg_catalog.has_table_privilege('ducklake_reader', c.oid, 'SELECT') AS reader_select,
       EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'ducklake_guard_write'
                  AND p.polcmd = '*' AND p.polpermissive AND p.polroles = ARRAY[w.writer]) AS write_policy,
       ARRAY(SELECT p.polname::text FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname <> 'ducklake_guard_read'
                AND NOT (p.polname = 'ducklake_guard_write' AND p.polcmd = '*' AND p.polroles = ARRAY[w.writer])
                AND NOT (p.polname = 'ducklake_guard_partition' AND NOT p.polpermissive AND p.polcmd = 'r'
                         AND p.polroles = ARRAY[(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'ducklake_reader')])
              ORDER BY 1) AS other_policies
FROM ducklake_guard.catalog_rule r
JOIN pg_catalog.pg_class c ON c.relname = r.table_name AND c.relkind IN ('r', 'p')
 AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
CROSS JOIN w
ORDER BY 1
