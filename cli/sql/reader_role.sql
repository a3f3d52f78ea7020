-- A reader's login role ($1) and what it may do; $2 is the shared reader base role.
SELECT r.rolcanlogin AS can_login,
       r.rolsuper AS superuser,
       r.rolbypassrls AS bypass_rls,
       r.rolcreaterole OR r.rolcreatedb AS can_create,
       coalesce(pg_has_role(r.oid, b.oid, 'MEMBER'), false) AS in_base_role,
       b.oid IS NOT NULL AS base_role_exists
FROM pg_roles r
LEFT JOIN pg_roles b ON b.rolname = $2
WHERE r.rolname = $1
