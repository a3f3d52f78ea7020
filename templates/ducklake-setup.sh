#!/usr/bin/env bash
# Setup of the catalog server, run as root by the provisioning command over SSH (receive-secrets.sh)
# once cloud-init finished, and again whenever a secret changes. Inputs written by cloud-init:
# /etc/ducklake/setup.env, tls/ca.crt, tls/server.crt, postgresql.conf, pg_hba.conf, nftables.conf,
# the backup unit files; over SSH: admin.env, backup.env, tls/server.key. Safe to re-run: every step
# converges (pg_hba/nftables are the last ones ducklake-apply-access accepted).
set -euo pipefail
umask 022
# shellcheck source=/dev/null
. /etc/ducklake/setup.env   # PG_VERSION, ADMIN_ROLE
log() { echo "ducklake-setup: $*"; }
export DEBIAN_FRONTEND=noninteractive

# PostgreSQL: Debian 12 ships 15; other majors come from apt.postgresql.org (PGDG).
if [ "$PG_VERSION" != 15 ]; then
  apt-get install -y -q postgresql-common
  /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y
fi
apt-get install -y -q "postgresql-$PG_VERSION" "postgresql-client-$PG_VERSION"
PG_ETC="/etc/postgresql/$PG_VERSION/main"
[ -d "$PG_ETC" ] || pg_createcluster "$PG_VERSION" main

# TLS: the server key must belong to postgres and be private, or PostgreSQL refuses to start.
install -d -m 750 -o postgres -g postgres /etc/postgresql/ducklake-tls
install -m 644 -o postgres -g postgres /etc/ducklake/tls/ca.crt /etc/postgresql/ducklake-tls/ca.crt
install -m 644 -o postgres -g postgres /etc/ducklake/tls/server.crt /etc/postgresql/ducklake-tls/server.crt
install -m 600 -o postgres -g postgres /etc/ducklake/tls/server.key /etc/postgresql/ducklake-tls/server.key

install -d -m 755 "$PG_ETC/conf.d"
install -m 644 -o postgres -g postgres /etc/ducklake/postgresql.conf "$PG_ETC/conf.d/ducklake.conf"
systemctl enable "postgresql@$PG_VERSION-main"
systemctl restart "postgresql@$PG_VERSION-main"

# The admin role the Pulumi program connects as (over TLS, from the admin allow-list only).
# shellcheck source=/dev/null
. /etc/ducklake/admin.env   # ADMIN_PASSWORD
ADMIN_PASSWORD="$ADMIN_PASSWORD" runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -v admin_role="$ADMIN_ROLE" \
  -f /etc/ducklake/bootstrap-admin.sql
install -m 600 /dev/null /root/.pgpass
printf '*:*:*:%s:%s\n' "$ADMIN_ROLE" "$ADMIN_PASSWORD" > /root/.pgpass

# pg_hba + host firewall (the same script later applies allow-list changes pushed by Pulumi).
/usr/local/sbin/ducklake-apply-access /etc/ducklake/pg_hba.conf /etc/ducklake/nftables.conf
systemctl enable nftables

systemctl daemon-reload
systemctl enable --now ducklake-backup.timer
systemctl enable --now unattended-upgrades
log "done: PostgreSQL $PG_VERSION with TLS, allow-list, nightly backups"
