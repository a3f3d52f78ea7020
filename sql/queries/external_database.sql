-- The catalog database $1 if it exists: its owner and whether the admin (current_user) is a member of it.
SELECT d.datname AS name, pg_catalog.pg_get_userbyid(d.datdba) AS owner,
       pg_catalog.pg_has_role(current_user, d.datdba, 'MEMBER') AS admin_is_member_of_owner
FROM pg_catalog.pg_database d
WHERE d.datname = $1
