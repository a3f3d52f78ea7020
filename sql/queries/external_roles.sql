-- The program's roles ($1: their names) as they exist now: attributes that would bypass the guard, and
-- whether the admin (current_user) is a member of / administers each.
SELECT n AS name, r.oid IS NOT NULL AS exists,
       coalesce(r.rolsuper, false) AS superuser, coalesce(r.rolbypassrls, false) AS bypass_rls,
       coalesce(pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'), false) AS admin_is_member,
       coalesce(pg_catalog.pg_has_role(current_user, r.oid, 'USAGE WITH ADMIN OPTION'), false) AS admin_has_admin_option
FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i)
LEFT JOIN pg_catalog.pg_roles r ON r.rolname = u.n
ORDER BY u.i
