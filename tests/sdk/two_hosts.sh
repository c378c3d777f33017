#!/usr/bin/env bash
# The two-host system test: one throwaway PostgreSQL 15 (tests/support/pg_server.sh), two
# `kmscore serve` processes on it, each with its own state directory holding the same root
# key (docs/storage.md: host A creates STATE/root.key, it is copied to host B's state with
# mode 0600). two_hosts.js drives both through Huawei Cloud's Node.js SDK core, installed into
# the build directory as run.sh does. Both servers must then stop cleanly on SIGTERM (exit 0).
# With `pkcs11`, the root key is one object in a SoftHSM2 token (a token directory of the
# test's own; docs/storage.md), named by both hosts' --root-key: no root key file anywhere.
# While both serve, `kmscore root rotate` moves the keyring to a second token object; both
# hosts keep answering (two_hosts.js again), host B restarts with the new --root-key, and the
# old one is refused.
# Usage: two_hosts.sh KMSCORE_TOOL BUILD_DIR [pkcs11]
set -euo pipefail
tool=$1
build=$2
mode=${3:-file}
here=$(cd "$(dirname "$0")" && pwd)
pg="$here/../support/pg_server.sh"
work=$(mktemp -d)
pgdir=$(mktemp -d /tmp/kmscore-two-hosts-pg-XXXXXX)  # owned by the server's user once started
server_a=
server_b=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local pid
  for pid in $server_a $server_b; do
    if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  "$pg" stop "$pgdir" fast >/dev/null 2>&1 || true
  rm -rf "$work" "$pgdir"
}
trap cleanup EXIT

# The SDK, installed once per build directory from the pinned lock file (as run.sh).
sdk="$build/sdk"
if ! cmp -s "$here/package-lock.json" "$sdk/package-lock.json" 2>/dev/null ||
   [ ! -d "$sdk/node_modules/@huaweicloud/huaweicloud-sdk-core" ]; then
  mkdir -p "$sdk"
  cp "$here/package.json" "$here/package-lock.json" "$sdk/"
  npm ci --prefix "$sdk" --no-audit --no-fund --loglevel=error >/dev/null
fi
cp "$here"/*.js "$sdk/"

"$pg" start "$pgdir"
store=$("$pg" url "$pgdir")

project=0123456789abcdef0123456789abcdef
ak=KMSCORETESTACCESSKEY
sk=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
umask 077
mkdir -p "$work/stateA" "$work/stateB"
cat >"$work/credentials.json" <<JSON
{"credentials": [{"access_key": "$ak", "secret_key": "$sk", "projects": ["$project"]}]}
JSON

root_args=()
if [ "$mode" = pkcs11 ]; then  # a token of this test's own, with two root key objects
  export SOFTHSM2_CONF="$work/softhsm2.conf"
  export KMSCORE_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
  export KMSCORE_PKCS11_PIN_FILE="$work/pin"
  mkdir -p "$work/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$work/tokens" >"$SOFTHSM2_CONF"
  softhsm2-util --init-token --free --label kmscore-two-hosts --pin 246810 --so-pin 13579 \
    >/dev/null
  for object in root-1 root-2; do
    pkcs11-tool --module "$KMSCORE_PKCS11_MODULE" --token-label kmscore-two-hosts --login \
      --pin 246810 --keygen --key-type AES:32 --label "$object" --sensitive >/dev/null 2>&1
  done
  printf '246810\n' >"$work/pin"
  root_args=(--root-key "pkcs11:token=kmscore-two-hosts;object=root-1")
fi

# Starts one host in the background on a free loopback port: sets $pid and $port.
start_host() {
  local name=$1 log="$work/serve$1.log"
  port=
  "$tool" serve --listen 127.0.0.1:0 --store "$store" --state "$work/state$name" \
    "${root_args[@]}" --credentials "$work/credentials.json" 2>"$log" &
  pid=$!
  for _ in $(seq 1 150); do
    port=$(sed -n 's|^kmscore: listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "# host $name: pid $pid, http://127.0.0.1:${port:-?}"
}

start_host A
server_a=$pid
[ -n "$port" ] || { cat "$work/serveA.log"; echo "host A did not start"; exit 1; }
port_a=$port
if [ "$mode" = pkcs11 ]; then  # the token holds it: no file, on either host
  [ ! -e "$work/stateA/root.key" ] || { echo "host A wrote a root key file"; exit 1; }
else  # A made the root key when it created the store; B needs the very same one.
  [ -f "$work/stateA/root.key" ] || { echo "host A wrote no stateA/root.key"; exit 1; }
  cp "$work/stateA/root.key" "$work/stateB/root.key"
  chmod 0600 "$work/stateB/root.key"
fi
start_host B
server_b=$pid
[ -n "$port" ] || { cat "$work/serveB.log"; echo "host B did not start"; exit 1; }
port_b=$port

status=0
node "$sdk/two_hosts.js" "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" \
  "$ak" "$sk" "$project" || status=$?

if [ "$mode" = pkcs11 ]; then
  # The keyring moves to root-2 while both hosts serve; they keep answering.
  rotated=$("$tool" --store "$store" --state "$work/stateC" "${root_args[@]}" root rotate \
    --to "pkcs11:token=kmscore-two-hosts;object=root-2")
  if [ "$rotated" = '{"root_key":"pkcs11:token=kmscore-two-hosts;object=root-2","keyring_keys":1}' ]; then
    echo "ok   - root rotate to root-2: $rotated"
  else
    echo "FAIL - root rotate to root-2 printed: $rotated"
    status=1
  fi
  node "$sdk/two_hosts.js" "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" \
    "$ak" "$sk" "$project" || status=$?
  # A new keyring key (keyring rotate): host B, restarted below, seals new records under it;
  # host A, still running, opens them by learning the key from its link.
  added=$("$tool" --store "$store" --state "$work/stateC" \
    --root-key "pkcs11:token=kmscore-two-hosts;object=root-2" keyring rotate)
  if [[ "$added" =~ ^\{\"keyring_key\":\"[0-9a-f-]{36}\",\"resealed\":0\}$ ]]; then
    echo "ok   - keyring rotate: $added"
  else
    echo "FAIL - keyring rotate printed: $added"
    status=1
  fi
  # Host B restarts: the old root key is refused, the new one opens the store.
  kill -TERM "$server_b"
  wait "$server_b" || true
  server_b=
  if "$tool" --store "$store" --state "$work/stateB" "${root_args[@]}" info >/dev/null 2>&1; then
    echo "FAIL - the retired root key still opens the store"
    status=1
  else
    echo "ok   - the retired root key (root-1) is refused"
  fi
  root_args=(--root-key "pkcs11:token=kmscore-two-hosts;object=root-2")
  start_host B
  server_b=$pid
  [ -n "$port" ] || { cat "$work/serveB.log"; echo "host B did not restart"; exit 1; }
  port_b=$port
  node "$sdk/two_hosts.js" "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" \
    "$ak" "$sk" "$project" || status=$?
  # The token's objects are as they were made: sensitive, never extractable.
  objects=$(pkcs11-tool --module "$KMSCORE_PKCS11_MODULE" --token-label kmscore-two-hosts \
    --login --pin 246810 --list-objects --type secrkey 2>/dev/null)
  if [ "$(grep -c 'Access: *sensitive, always sensitive, never extractable, local' <<<"$objects")" = 2 ]; then
    echo "ok   - both root key objects are still sensitive and never extractable"
  else
    echo "FAIL - the token's objects changed: $objects"
    status=1
  fi
fi

stop_host() {  # NAME PID: SIGTERM, then the exit status must be 0
  local code=0
  kill -TERM "$2"
  wait "$2" || code=$?
  if [ "$code" -eq 0 ]; then
    echo "ok   - host $1 stopped on SIGTERM with exit status 0"
  else
    echo "FAIL - host $1 did not exit cleanly on SIGTERM (status $code)"
    status=1
  fi
}
stop_host A "$server_a"
server_a=
stop_host B "$server_b"
server_b=
if [ "$status" -ne 0 ]; then
  for name in A B; do echo "--- host $name log"; tail -30 "$work/serve$name.log"; done
fi
exit "$status"
