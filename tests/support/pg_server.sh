#!/usr/bin/env bash
# pg_server.sh - start/stop a throwaway PostgreSQL 15 server for kmscore tests.
#
# Usage: pg_server.sh start DIR | stop DIR [fast|immediate] | restart DIR | url DIR
#
# Data in DIR/data, log in DIR/server.log. Unix socket only (no TCP), trust
# auth, in a private 0700 dir: DIR/socket, or a mktemp dir under /tmp if DIR is
# too long (recorded in DIR/socket_dir). fsync, synchronous_commit and
# full_page_writes are set on explicitly; database "kmscore" is created. As
# root the server runs as the "postgres" system user (initdb refuses root).
# `url` prints a libpq URI; `stop DIR immediate` simulates a crash.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
DB=kmscore

die() { echo "pg_server.sh: $*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a command as the server user (postgres when root, else ourselves).
as_srv() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

ensure_packages() {
  local p missing=()
  for p in postgresql-15 libpq-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  is_root || die "missing packages: ${missing[*]}; run as root:" \
    "apt-get install -y --no-install-recommends ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null; } \
    || die "apt-get install ${missing[*]} failed"
}

# Percent-encode a string for a URI query value.
urlencode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in [A-Za-z0-9/._~-]) out+=$c ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
  done
  printf '%s' "$out"
}

sock_dir() { if [[ -f $DIR/socket_dir ]]; then cat "$DIR/socket_dir"; else echo "$DIR/socket"; fi; }

is_running() { [[ -f $DIR/data/PG_VERSION ]] && as_srv "$PGBIN/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1; }

cmd_start() {
  ensure_packages
  [[ -x $PGBIN/initdb ]] || die "$PGBIN/initdb not found"
  local srv_user sock psql_args i
  srv_user=$(id -un)
  if is_root; then srv_user=postgres; fi
  getent passwd "$srv_user" >/dev/null || die "user $srv_user does not exist"
  mkdir -p "$DIR/data"
  if is_root; then chown "$srv_user": "$DIR" "$DIR/data"; fi
  chmod 0700 "$DIR/data"
  as_srv test -w "$DIR/data" || die "$srv_user cannot write $DIR/data (check parent dir permissions)"
  # DIR/socket/.s.PGSQL.5432 must fit in sun_path (107 bytes): else use /tmp.
  if [[ ! -f $DIR/socket_dir && ${#DIR} -gt 80 ]]; then
    mktemp -d /tmp/pgsock.XXXXXX >"$DIR/socket_dir"
  fi
  sock=$(sock_dir)
  mkdir -p "$sock"
  if is_root; then chown "$srv_user": "$sock"; fi
  chmod 0700 "$sock"
  if [[ ! -f $DIR/data/PG_VERSION ]]; then
    as_srv "$PGBIN/initdb" -D "$DIR/data" -U "$srv_user" --auth=trust -E UTF8 \
      --locale=C >"$DIR/initdb.log" 2>&1 || die "initdb failed, see $DIR/initdb.log"
    echo "$srv_user" >"$DIR/role"
    cat >>"$DIR/data/postgresql.conf" <<EOF
# --- kmscore test server (pg_server.sh) ---
listen_addresses = ''
unix_socket_directories = '$sock'
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
  fi
  if ! is_running; then
    as_srv "$PGBIN/pg_ctl" start -D "$DIR/data" -l "$DIR/server.log" -w -t 30 >/dev/null \
      || die "server failed to start, see $DIR/server.log"
  fi
  for ((i = 0; i < 300; i++)); do "$PGBIN/pg_isready" -q -h "$sock" && break; sleep 0.1; done
  "$PGBIN/pg_isready" -q -h "$sock" || die "server not ready after 30 s, see $DIR/server.log"
  psql_args=(-X -q -v ON_ERROR_STOP=1 -h "$sock" -U "$(cat "$DIR/role")" -d postgres -tA)
  if [[ -z $("$PGBIN/psql" "${psql_args[@]}" -c "select 1 from pg_database where datname = '$DB'") ]]; then
    "$PGBIN/psql" "${psql_args[@]}" -c "create database $DB" >/dev/null
  fi
}

cmd_stop() {
  local mode=${1:-fast}
  [[ $mode == fast || $mode == immediate ]] || die "stop mode must be fast or immediate"
  is_running || return 0
  as_srv "$PGBIN/pg_ctl" stop -D "$DIR/data" -m "$mode" -w -t 30 >/dev/null \
    || die "pg_ctl stop -m $mode failed"
}

cmd_url() {
  [[ -f $DIR/role ]] || die "no server initialised in $DIR"
  printf 'postgresql:///%s?host=%s&user=%s\n' "$DB" "$(urlencode "$(sock_dir)")" \
    "$(urlencode "$(cat "$DIR/role")")"
}

[[ $# -ge 2 ]] || die "usage: $0 start|stop|restart|url DIR [fast|immediate]"
action=$1
if [[ $action == stop && ! -d $2 ]]; then exit 0; fi
if [[ $action == start || $action == restart ]]; then mkdir -p "$2"; fi
DIR=$(cd "$2" 2>/dev/null && pwd) || die "cannot access directory $2"
case $action in
  start) cmd_start ;;
  stop) cmd_stop "${3:-fast}" ;;
  restart) cmd_stop fast; cmd_start ;;
  url) cmd_url ;;
  *) die "unknown action $action (start|stop|restart|url)" ;;
esac
