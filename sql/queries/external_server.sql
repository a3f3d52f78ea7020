-- The external target's preview check, as the admin login (postgres/externalServerChecks.ts): the server
-- version, the admin's attributes, the server-wide jit, the connection slots and the TLS of this very session. One row.
SELECT current_setting('server_version_num')::int AS version_num,
       current_setting('server_version') AS version,
       r.rolname AS admin, r.rolsuper AS superuser, r.rolcreaterole AS create_role, r.rolcreatedb AS create_db,
       r.rolbypassrls AS bypass_rls,
       j.setting AS jit, j.source AS jit_source, j.context AS jit_context,
       coalesce(s.ssl, false) AS ssl, s.version AS tls_version,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       coalesce(current_setting('reserved_connections', true), '0')::int AS reserved
FROM pg_catalog.pg_roles r
CROSS JOIN (SELECT setting, source, context FROM pg_catalog.pg_settings WHERE name = 'jit') j
LEFT JOIN pg_catalog.pg_stat_ssl s ON s.pid = pg_catalog.pg_backend_pid()
WHERE r.rolname = current_user
