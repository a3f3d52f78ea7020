# Provisioning over SSH (the remote command `<server>-postgres-ready`), before the readiness check.
# The server's secrets never ride in cloud-init user data (Hetzner serves it to every process on the
# server): they arrive here on stdin as NAME=<base64> lines (model/cloudInit.ts renderServerSecrets),
# land in root-only files, and the idempotent ducklake-setup runs. Re-run when a secret changes.
# Env overrides (tests): SKIP_CLOUD_INIT_WAIT, DUCKLAKE_ETC (default /etc/ducklake), DUCKLAKE_SETUP.
set -euo pipefail
if [ -z "${SKIP_CLOUD_INIT_WAIT:-}" ] && command -v cloud-init >/dev/null; then
  # exit 0 = done, 2 = done with recoverable errors; 1 = failed
  rc=0; cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" = 1 ]; then echo "cloud-init failed on the server:" >&2; cloud-init status --long >&2 || true; exit 1; fi
fi
etc=${DUCKLAKE_ETC:-/etc/ducklake}
umask 077
install -d -m 755 "$etc" "$etc/tls"
seen=" "
while IFS= read -r line || [ -n "$line" ]; do
  [ -n "$line" ] || continue
  name=${line%%=*} value=${line#*=}
  case "$name" in
    ADMIN_ENV) target="$etc/admin.env" ;;
    BACKUP_ENV) target="$etc/backup.env" ;;
    SERVER_KEY) target="$etc/tls/server.key" ;;
    *) echo "ducklake-receive-secrets: unexpected input line starting ${name:0:20}" >&2; exit 1 ;;
  esac
  tmp=$(mktemp "$target.XXXXXX")
  printf '%s' "$value" | base64 -d > "$tmp" || { rm -f "$tmp"; echo "ducklake-receive-secrets: $name is not base64" >&2; exit 1; }
  chmod 600 "$tmp"
  mv -f "$tmp" "$target"
  seen="$seen$name "
done
for name in ADMIN_ENV BACKUP_ENV SERVER_KEY; do
  case "$seen" in *" $name "*) ;; *) echo "ducklake-receive-secrets: $name missing on stdin" >&2; exit 1 ;; esac
done
"${DUCKLAKE_SETUP:-/usr/local/sbin/ducklake-setup}"
