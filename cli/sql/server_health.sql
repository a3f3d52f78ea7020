-- Server version and whether this session is encrypted.
SELECT current_setting('server_version') AS version,
       current_setting('server_version_num')::int AS version_num,
       coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl,
       (SELECT s.version FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()) AS tls_version
