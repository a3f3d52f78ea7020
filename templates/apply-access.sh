#!/usr/bin/env bash
# Installs a new pg_hba.conf and nftables ruleset after checking both, then reloads.
#   ducklake-apply-access <pg_hba.conf> <nftables.conf>
# A file PostgreSQL cannot parse or a ruleset nft rejects is refused and the running config is kept.
set -euo pipefail
hba_new=$1 nft_new=$2
# shellcheck source=/dev/null
. /etc/ducklake/setup.env   # PG_VERSION
hba="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"

nft -c -f "$nft_new" || { echo "ducklake-apply-access: nftables ruleset rejected, nothing changed" >&2; exit 1; }

cp -p "$hba" "$hba.previous"
install -m 640 -o postgres -g postgres "$hba_new" "$hba"
# pg_hba_file_rules parses the file on disk: refuse to reload a file with errors.
errors=$(runuser -u postgres -- psql -X -tA -c "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")
if [ "$errors" != 0 ]; then
  cp -p "$hba.previous" "$hba"
  echo "ducklake-apply-access: pg_hba.conf has $errors bad line(s), previous file restored" >&2
  exit 1
fi
runuser -u postgres -- psql -X -tA -c "SELECT pg_reload_conf()" >/dev/null

install -m 644 "$nft_new" /etc/nftables.conf
nft -f /etc/nftables.conf
# Keep the accepted files where ducklake-setup reads them, so a re-run of the setup keeps these rules.
[ "$hba_new" -ef /etc/ducklake/pg_hba.conf ] || install -m 644 "$hba_new" /etc/ducklake/pg_hba.conf
[ "$nft_new" -ef /etc/ducklake/nftables.conf ] || install -m 644 "$nft_new" /etc/ducklake/nftables.conf
echo "ducklake-apply-access: pg_hba.conf and nftables applied"
