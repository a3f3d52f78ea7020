-- Roles (PUBLIC included) that may create temporary tables in this database, other than superusers and the
-- catalog owner ($1): a temporary table can shadow relations for code that does not put pg_temp last.
SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END AS grantee
FROM pg_catalog.pg_database d, pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
WHERE d.datname = current_database() AND a.privilege_type = 'TEMPORARY'
  AND (a.grantee = 0 OR (NOT r.rolsuper AND r.rolname <> $1))
ORDER BY 1
