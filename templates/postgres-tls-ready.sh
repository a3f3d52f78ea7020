# Waits until PostgreSQL accepts a verify-full TLS connection on the server's public name/IP.
# Positional parameters: $1 = the name/IP in the server certificate, $2 = timeout in seconds.
# Env overrides (tests): PGHOSTADDR (default 127.0.0.1), PGPORT, PGUSER, PGPASSFILE, CA_FILE.
set -euo pipefail
host=$1 timeout=${2:-900}
if [ -z "${SKIP_CLOUD_INIT_WAIT:-}" ] && command -v cloud-init >/dev/null; then
  # exit 0 = done, 2 = done with recoverable errors; 1 = failed
  rc=0; cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" = 1 ]; then echo "cloud-init failed on the server:" >&2; cloud-init status --long >&2 || true; exit 1; fi
fi
deadline=$((SECONDS + timeout))
conn="host=$host hostaddr=${PGHOSTADDR:-127.0.0.1} port=${PGPORT:-5432} dbname=postgres user=${PGUSER:-ducklake_admin} sslmode=verify-full sslrootcert=${CA_FILE:-/etc/postgresql/ducklake-tls/ca.crt} connect_timeout=5"
until out=$(psql "$conn" -X -tA -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1) && [ "$out" = t ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then echo "PostgreSQL did not accept TLS (verify-full) within ${timeout}s: $out" >&2; exit 1; fi
  sleep 3
done
echo "PostgreSQL accepts verify-full TLS connections as $host"
