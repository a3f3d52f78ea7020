#!/usr/bin/env bash
# Nightly backup: compressed pg_dump of the catalog database (+ roles without passwords),
# uploaded to the lake bucket under the backups prefix. Run by ducklake-backup.service as postgres;
# systemd reads the root-only environment file, so the S3 key never sits in a file postgres can read.
# Environment: PGDATABASE, BACKUP_BUCKET, BACKUP_PREFIX, S3_ENDPOINT, S3_REGION,
#              AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; optional PGHOST/PGPORT/PGUSER/PGPASSWORD.
set -euo pipefail
for v in PGDATABASE BACKUP_BUCKET BACKUP_PREFIX S3_ENDPOINT S3_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
  [ -n "${!v:-}" ] || { echo "ducklake-backup: $v is not set" >&2; exit 2; }
done
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Custom format is compressed and restores selectively with pg_restore.
pg_dump --format=custom --compress=9 --no-password --file="$work/catalog.dump" "$PGDATABASE"
pg_dumpall --globals-only --no-role-passwords --no-password | gzip -9 > "$work/globals.sql.gz"

put() {
  aws s3 cp "$1" "s3://$BACKUP_BUCKET/$BACKUP_PREFIX$2" --endpoint-url "$S3_ENDPOINT" --region "$S3_REGION" --only-show-errors
}
put "$work/catalog.dump" "$PGDATABASE/$stamp/catalog.dump"
put "$work/globals.sql.gz" "$PGDATABASE/$stamp/globals.sql.gz"
echo "ducklake-backup: s3://$BACKUP_BUCKET/$BACKUP_PREFIX$PGDATABASE/$stamp/ ($(stat -c %s "$work/catalog.dump") bytes dump)"
