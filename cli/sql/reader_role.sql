-- A reader's login role ($1) and what it may do; $2 is the shared reader base role, $3 the catalog owner and $4 the
-- catalog writer (either may be NULL): a member of either sees every catalog row (owner: table owner; writer: its
-- write policy).
SELECT r.rolcanlogin AS can_login,
       r.rolsuper AS superuser,
       r.rolbypassrls AS bypass_rls,
       r.rolcreaterole OR r.rolcreatedb AS can_create,
       coalesce(pg_has_role(r.oid, b.oid, 'MEMBER'), false) AS in_base_role,
       b.oid IS NOT NULL AS base_role_exists,
       coalesce((SELECT pg_has_role(r.oid, o.oid, 'MEMBER') FROM pg_roles o WHERE o.rolname = $3), false) AS member_of_owner,
       coalesce((SELECT pg_has_role(r.oid, w.oid, 'MEMBER') FROM pg_roles w WHERE w.rolname = $4), false) AS member_of_writer
FROM pg_roles r
LEFT JOIN pg_roles b ON b.rolname = $2
WHERE r.rolname = $1
