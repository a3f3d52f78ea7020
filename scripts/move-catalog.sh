#!/usr/bin/env bash
# Moves a lake's catalog database from one PostgreSQL to another (the VPS to an external server) without a
# superuser on the target. docs/outgrowing-the-vps.md explains each step and what it prints.
#   scripts/move-catalog.sh prepare --target CONNINFO --owner O --writer W --database D
#       (as the target's admin, connected to its `postgres` database) roles, ducklake_reader, empty database
#   scripts/move-catalog.sh dump    --source CONNINFO --out FILE
#       pg_dump -Fc of the catalog database (on the VPS: as postgres)
#   scripts/move-catalog.sh list    --dump FILE --writer W
#       the restore list: the dump minus the event trigger, the OID-keyed `visible`/`visible_count`/`visible_rows` data and
#       the ACLs of the writer's tables (entries named on stderr)
#   scripts/move-catalog.sh restore --dump FILE --target CONNINFO --writer W [--catalog-schema S]
#       pg_restore of that list into the prepared database, all or nothing
#   scripts/move-catalog.sh repair  --target CONNINFO --writer W
#       sql/runbook/repair_moved_catalog.sql: owner's grant option, re-pinned grants, readers enrolled,
#       database settings, resync; refuses when a reader named in the ACL is missing
# CONNINFO is a libpq connection string ("host=… port=… dbname=… user=… sslmode=verify-full sslrootcert=…");
# passwords come from PGPASSWORD or ~/.pgpass, never from the command line.
set -euo pipefail

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SQL_DIR="$HERE/../sql/runbook"

die() { echo "move-catalog: $*" >&2; exit 1; }
[ -x "$PG_BIN/pg_restore" ] || die "PostgreSQL client binaries not found (set PG_BIN, or: apt-get install postgresql-client-15)"

# Role and schema names as the guard accepts them (model/names.ts): they also appear unquoted in `pg_restore -l`.
NAME_RE='^[a-z_][a-z0-9_$]{0,62}$'
name_ok() { [[ "$2" =~ $NAME_RE ]] || die "$1 \"$2\" is not a plain lower-case PostgreSQL name (letters, digits, _ and \$, at most 63)"; }

cmd=${1:-}; shift || true
target="" source="" out="" dump="" owner="" writer="" database="" schema="public"
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case "$1" in
    --target) target=$2 ;; --source) source=$2 ;; --out) out=$2 ;; --dump) dump=$2 ;;
    --owner) owner=$2 ;; --writer) writer=$2 ;; --database) database=$2 ;; --catalog-schema) schema=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
need() { for v in "$@"; do [ -n "${!v}" ] || die "$cmd needs --${v//_/-}"; done; }
psql_target() { "$PG_BIN/psql" "$target" -X -q -v ON_ERROR_STOP=1 "$@"; }

# The restore list on stdout; what it leaves out, one line each, on stderr.
restore_list() {
  [ -r "$dump" ] || die "cannot read dump $dump"
  "$PG_BIN/pg_restore" -l "$dump" | awk -v writer="$writer" '
    # "<id>; <tableoid> <oid> <type…> <schema> <name> <owner>": the type may have spaces (TABLE DATA, EVENT TRIGGER).
    /^;/ || NF == 0 { print; next }
    {
      line = $0; sub(/^[0-9]+; [0-9]+ [0-9]+ /, "", line)
      why = ""
      if (line ~ /^(EVENT TRIGGER|COMMENT - EVENT TRIGGER) /) why = "the event trigger needs a superuser (the commit trigger replaces it)"
      else if (line ~ /^(FUNCTION ducklake_guard|(COMMENT|ACL) ducklake_guard FUNCTION) on_create_inlined_table\(\) /) why = "the superuser-owned function of the partition row-filter event trigger (the commit trigger does it when the owner is a member of the writer)"
      else if (line ~ /^TABLE DATA ducklake_guard (visible|visible_count|visible_rows) /) why = "rows keyed by the source role OIDs (rebuilt by resync)"
      else if (line ~ /^ACL [^ ]+ TABLE [^ ]+ / && $NF == writer) why = "grants made by another grantor than the writer (redone by repair)"
      if (why != "") { printf "move-catalog: leaving out %s: %s\n", line, why > "/dev/stderr"; next }
      print
    }'
}

case "$cmd" in
  prepare)
    need target owner writer database
    name_ok owner "$owner"; name_ok writer "$writer"; name_ok database "$database"
    psql_target -v owner="$owner" -v writer="$writer" -v database="$database" -f "$SQL_DIR/prepare_target.sql"
    ;;
  dump)
    need source out
    "$PG_BIN/pg_dump" -Fc -d "$source" -f "$out"
    echo "move-catalog: dumped to $out ($(stat -c %s "$out") bytes, $("$PG_BIN/pg_restore" -l "$out" | grep -c '^[0-9]') entries)" >&2
    ;;
  list)
    need dump writer
    name_ok writer "$writer"
    restore_list
    ;;
  restore)
    need dump target writer
    name_ok writer "$writer"; name_ok catalog-schema "$schema"
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
    restore_list > "$work/all.list"
    # Schemas first: the writer needs CREATE on the catalog schema before pg_restore hands it its tables
    # (ALTER TABLE … OWNER TO), and the dump grants it only with the schema's ACL, at the very end.
    grep -E '^[0-9]+; [0-9]+ [0-9]+ SCHEMA ' "$work/all.list" > "$work/schemas.list" || true
    grep -v -E '^[0-9]+; [0-9]+ [0-9]+ SCHEMA ' "$work/all.list" > "$work/rest.list"
    if [ -s "$work/schemas.list" ]; then
      "$PG_BIN/pg_restore" -d "$target" --single-transaction --exit-on-error -L "$work/schemas.list" "$dump"
    fi
    psql_target -v writer="$writer" -v schema="$schema" <<'SQL'
SELECT format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', :'schema', :'writer') \gexec
SQL
    "$PG_BIN/pg_restore" -d "$target" --single-transaction --exit-on-error -L "$work/rest.list" "$dump"
    echo "move-catalog: restored $(grep -c '^[0-9]' "$work/all.list") entries of $dump" >&2
    ;;
  repair)
    need target writer
    name_ok writer "$writer"
    psql_target -v writer="$writer" -f "$SQL_DIR/repair_moved_catalog.sql"
    ;;
  *) die "usage: $0 prepare|dump|list|restore|repair [options] (see the top of this file)" ;;
esac
