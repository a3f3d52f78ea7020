#!/usr/bin/env bash
# Throw-away PostgreSQL on 127.0.0.1 for the local stack and the tests.
#   scripts/local-pg.sh start   start (idempotent: prints the running one's connection if up)
#   scripts/local-pg.sh stop    stop it (PURGE=1 also deletes its data folder)
#   scripts/local-pg.sh status  exit 0 when it answers
# Settings: LAKE_PG_DIR (data + connection files, default /tmp/ducklake-pulumi/pg-<uid>),
#           LAKE_PG_PORT (default: first free port from 54329).
# Writes $LAKE_PG_DIR/connection.json: {host, port, user, password, database}.
# initdb and postgres refuse to run as root, so as root they run as the `postgres` user, from / (a
# clone in a private folder would make them warn "could not change directory ... Permission denied").
set -euo pipefail

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
DIR=$(realpath -m -- "${LAKE_PG_DIR:-/tmp/ducklake-pulumi/pg-$(id -u)}")
DATA="$DIR/data"
CONN="$DIR/connection.json"

die() { echo "local-pg: $*" >&2; exit 1; }
# The last lines of a log, indented: the cause of a failure is usually there.
log_tail() { if [ -s "$1" ]; then printf '\n'; grep -v '^[[:space:]]*$' "$1" | tail -n "${2:-6}" | sed 's/^/    /'; fi; }
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found (set PG_BIN, or: apt-get install postgresql-15)"

as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
# Any TCP socket on the port counts: the default ports lie in the ephemeral range, so a client connection can hold one.
port_taken() { ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }
answers() { [ -f "$CONN" ] && as_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 \
  && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$CONN")"; }

start() {
  if answers; then echo "local-pg: already running" >&2; cat "$CONN"; return 0; fi
  if [ -d "$DATA" ]; then as_pg "$PG_BIN/pg_ctl" -D "$DATA" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$DIR"; fi
  local port=${LAKE_PG_PORT:-}
  if [ -n "$port" ]; then
    port_taken "$port" && die "port $port on 127.0.0.1 is already taken: stop what uses it or set LAKE_PG_PORT to a free port"
  else
    port=54329; while port_taken "$port"; do port=$((port + 1)); done
  fi
  # The postgres user must reach $DIR: open the folders created here (never an existing parent).
  local created=() d="$DIR"
  while [ ! -e "$d" ]; do created+=("$d"); d=$(dirname "$d"); done
  case "$DIR" in /tmp/ducklake-pulumi/*) created+=(/tmp/ducklake-pulumi) ;; esac # the scripts' shared base
  mkdir -p "$DIR"; chmod 755 "$DIR" ${created[@]+"${created[@]}"}
  local password; password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  printf '%s\n' "$password" > "$DIR/pwfile"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR"; fi
  as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --pwfile="$DIR/pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
    || die "initdb failed (full log: $DIR/initdb.log)$(log_tail "$DIR/initdb.log")"
  rm -f "$DIR/pwfile"
  cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 start >/dev/null \
    || die "PostgreSQL did not start (full log: $DIR/server.log)$(log_tail "$DIR/server.log")"
  umask 077
  printf '{\n  "host": "127.0.0.1",\n  "port": %s,\n  "user": "postgres",\n  "password": "%s",\n  "database": "postgres",\n  "dataDir": "%s"\n}\n' \
    "$port" "$password" "$DATA" > "$CONN"
  echo "local-pg: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($DIR)" >&2
  cat "$CONN"
}

# Says the same as local-rgw.sh stop: "stopped" or "was not running", and what PURGE=1 deleted.
stop() {
  local what="was not running"
  if [ -d "$DATA" ] && as_pg "$PG_BIN/pg_ctl" -D "$DATA" stop -m fast >/dev/null 2>&1; then what="stopped"; fi
  if [ "${PURGE:-0}" = 1 ] && [ -e "$DIR" ]; then rm -rf "$DIR"; what="$what; deleted $DIR"; fi
  echo "local-pg: $what" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers && { echo "local-pg: up" >&2; cat "$CONN"; } || { echo "local-pg: down" >&2; exit 1; } ;;
  *) die "usage: $0 start|stop|status" ;;
esac
