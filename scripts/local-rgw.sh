#!/usr/bin/env bash
# Throw-away single-node Ceph RGW on 127.0.0.1: the same S3 server software as Hetzner Object Storage.
# One monitor, one OSD keeping objects in RAM (memstore), one radosgw; nothing survives a stop.
#   scripts/local-rgw.sh start   start (idempotent: prints the running one's credentials if up)
#   scripts/local-rgw.sh stop    stop it (PURGE=1 also deletes its folder)
#   scripts/local-rgw.sh status  exit 0 when it answers
# Settings: LAKE_RGW_DIR (default /tmp/ducklake-pulumi/rgw-<uid>), LAKE_RGW_PORT (default: first free from 47480).
# Needs: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl
#
# Identities mimic Hetzner: a project is an RGW user "p<ID>", each of its access keys is a subuser
# "p<ID>:<ACCESS_KEY>", so a bucket policy names one key as arn:aws:iam:::user/p<ID>:<ACCESS_KEY>.
# p1001 is the admin project (owns the lake bucket); p2002 is a separate readers project whose keys
# have no access to anything until a bucket policy grants it. Written to $LAKE_RGW_DIR/credentials.json.
set -euo pipefail

DIR=${LAKE_RGW_DIR:-/tmp/ducklake-pulumi/rgw-$(id -u)}
CONF="$DIR/ceph.conf"
CREDS="$DIR/credentials.json"
READER_KEYS=${LAKE_RGW_READER_KEYS:-8}

die() { echo "local-rgw: $*" >&2; exit 1; }
# The last lines of a log, indented: the cause of a failure is usually there.
log_tail() { if [ -s "$1" ]; then printf '\n'; grep -v '^[[:space:]]*$' "$1" | tail -n "${2:-6}" | sed 's/^/    /'; fi; }
for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen curl; do
  command -v "$bin" >/dev/null || die "missing $bin: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl"
done

# Any TCP socket on the port counts: the default ports lie in the ephemeral range, so a client connection can hold one.
port_taken() { ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }
free_port() { local p=$1; while port_taken "$p"; do p=$((p + 1)); done; echo "$p"; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
endpoint() { sed -n 's/.*"endpoint": *"\([^"]*\)".*/\1/p' "$CREDS"; }
answers_at() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/" || true)" = 200 ]; }
running() {
  [ -f "$CREDS" ] && pid_alive "$DIR/run/client.rgw.a.pid" && pid_alive "$DIR/run/osd.0.pid" \
    && pid_alive "$DIR/run/mon.a.pid" && answers_at "$(endpoint)"
}

stop_daemon() { # name: SIGTERM by pid file, only if the process is ours; SIGKILL after 10 s. 1 = was not running
  local pidfile="$DIR/run/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile"); rm -f "$pidfile"
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$CONF" || return 1
  kill "-${SIG:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)" = Z ] && return 0; sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
stop() {
  # radosgw waits for the OSD while shutting down, the OSD for the monitor: stop in this order.
  # The data is throw-away, so SIGKILL is safe and fast.
  # Says the same as local-pg.sh stop: "stopped" or "was not running", and what PURGE=1 deleted.
  local what="was not running" d
  SIG=KILL; for d in client.rgw.a osd.0 mon.a; do stop_daemon "$d" && what="stopped"; done
  if [ "${PURGE:-0}" = 1 ] && [ -e "$DIR" ]; then rm -rf "$DIR"; what="$what; deleted $DIR"; fi
  echo "local-rgw: $what" >&2
}

start() {
  if running; then echo "local-rgw: already running at $(endpoint)" >&2; cat "$CREDS"; return 0; fi
  [ -d "$DIR" ] && { stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
  local rgw_port=${LAKE_RGW_PORT:-}
  if [ -n "$rgw_port" ]; then
    port_taken "$rgw_port" && die "port $rgw_port on 127.0.0.1 is already taken: stop what uses it or set LAKE_RGW_PORT to a free port"
  else rgw_port=$(free_port 47480); fi
  local mon2 mon1 osd_min; mon2=$(free_port 40300); mon1=$(free_port $((mon2 + 1)))
  osd_min=$(free_port 40800)
  local ep="http://127.0.0.1:$rgw_port" fsid; fsid=$(uuidgen)
  local mon_addrs="[v2:127.0.0.1:$mon2,v1:127.0.0.1:$mon1]"
  mkdir -p "$DIR"/{run,log,mon.a,osd.0,rgw}
  cat > "$CONF" <<CONF
[global]
fsid = $fsid
mon_host = $mon_addrs
mon_initial_members = a
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_port_min = $osd_min
ms_bind_port_max = $((osd_min + 99))
# loopback-only and throw-away: no cephx
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# radosgw defaults to "secure" mon client mode, which needs cephx, and then waits 300 s
ms_mon_client_mode = crc
client_mount_timeout = 30
mon_warn_on_insecure_global_id_reclaim_allowed = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
run_dir = $DIR/run
admin_socket = $DIR/run/\$name.asok
pid_file = $DIR/run/\$name.pid
log_file = $DIR/log/\$name.log

[mon.a]
mon_data = $DIR/mon.a
# commit map changes fast: radosgw's pool creation needs ~10 osdmap epochs (13 s -> under 2 s)
paxos_propose_interval = 0.05
paxos_min_wait = 0.01

[osd.0]
osd_data = $DIR/osd.0
osd_objectstore = memstore
memstore_device_bytes = 2147483648

[client.rgw.a]
rgw_data = $DIR/rgw
# tcp_nodelay: 44 ms -> 3 ms per request
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw_thread_pool_size = 64
debug_rgw = 1
CONF
  monmaptool --create --clobber --fsid "$fsid" --addv a "$mon_addrs" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap"
  ceph-mon -c "$CONF" -i a
  timeout 30 ceph -c "$CONF" --connect-timeout 25 mon stat >/dev/null || die "monitor did not start (full log: $DIR/log/mon.a.log)$(log_tail "$DIR/log/mon.a.log")"
  local osd_uuid osd_id; osd_uuid=$(uuidgen)
  osd_id=$(ceph -c "$CONF" osd new "$osd_uuid")
  [ "$osd_id" = 0 ] || die "unexpected osd id $osd_id"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" 2>"$DIR/log/osd-mkfs.err"
  ceph-osd -c "$CONF" -i 0 2>"$DIR/log/osd-start.err"
  for _ in $(seq 1 60); do ceph -c "$CONF" osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.5; done
  ceph -c "$CONF" osd stat | grep -q '1 up' || die "osd did not come up (full log: $DIR/log/osd.0.log)$(log_tail "$DIR/log/osd-start.err" 3)$(log_tail "$DIR/log/osd.0.log")"
  radosgw -c "$CONF" -n client.rgw.a
  for _ in $(seq 1 120); do answers_at "$ep" && break; sleep 0.5; done
  answers_at "$ep" || die "radosgw does not answer at $ep (full log: $DIR/log/client.rgw.a.log)$(log_tail "$DIR/log/client.rgw.a.log")"

  ra() { radosgw-admin -c "$CONF" "$@" >/dev/null; }
  key() { printf "%s%s" "$1" "$(head -c 1000 /dev/urandom | tr -dc "A-Z0-9" | head -c "$2")"; }
  secret() { head -c 1000 /dev/urandom | tr -dc "A-Za-z0-9" | head -c 40; }
  local admin_key admin_secret reader_keys="" i k s
  ra user create --uid=p1001 --display-name="admin project" --access-key="$(key P1001ROOT 11)" --secret-key="$(secret)"
  admin_key=$(key P1001 15); admin_secret=$(secret)
  ra subuser create --uid=p1001 --subuser="p1001:$admin_key" --key-type=s3 --access=full --access-key="$admin_key" --secret-key="$admin_secret"
  ra user create --uid=p2002 --display-name="readers project" --access-key="$(key P2002ROOT 11)" --secret-key="$(secret)"
  for i in $(seq 1 "$READER_KEYS"); do
    k=$(key P2002 15); s=$(secret)
    ra subuser create --uid=p2002 --subuser="p2002:$k" --key-type=s3 --access=full --access-key="$k" --secret-key="$s"
    reader_keys="$reader_keys${reader_keys:+,}
    {\"accessKey\": \"$k\", \"secretKey\": \"$s\"}"
  done
  umask 077
  cat > "$CREDS" <<JSON
{
  "endpoint": "$ep",
  "region": "us-east-1",
  "adminProject": "1001",
  "admin": {"accessKey": "$admin_key", "secretKey": "$admin_secret"},
  "readerProject": "2002",
  "readers": [$reader_keys
  ],
  "cephConf": "$CONF"
}
JSON
  echo "local-rgw: Ceph RGW $(radosgw --version | awk '{print $3}') at $ep ($DIR)" >&2
  cat "$CREDS"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && { echo "local-rgw: up at $(endpoint)" >&2; cat "$CREDS"; } || { echo "local-rgw: down" >&2; exit 1; } ;;
  *) die "usage: $0 start|stop|status" ;;
esac
