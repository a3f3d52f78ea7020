-- Roles the admin login is a member of, with ADMIN OPTION (external target's preview check).
SELECT b.rolname AS role, m.admin_option
FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles b ON b.oid = m.roleid
WHERE m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
ORDER BY b.rolname COLLATE "C"
