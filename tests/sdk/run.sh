#!/usr/bin/env bash
# The SDK-driven system test: installs Huawei Cloud's Node.js SDK core (pinned in
# package-lock.json) with the image's own npm into the build directory, starts
# `kmscore serve` on a free loopback port over a fresh state (SQLite, or a throwaway
# PostgreSQL 15 from tests/support/pg_server.sh with `postgresql`), and runs drive.js, which
# drives every action through the SDK's signed requests.
# Usage: run.sh KMSCORE_TOOL BUILD_DIR [sqlite|postgresql]
set -euo pipefail
tool=$1
build=$2
kind=${3:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pg="$here/../support/pg_server.sh"
pgdir=
server=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [ -n "$pgdir" ]; then
    "$pg" stop "$pgdir" fast >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
store_args=()
case "$kind" in
  sqlite) ;;
  postgresql)
    pgdir=$(mktemp -d /tmp/kmscore-sdk-pg-XXXXXX)
    "$pg" start "$pgdir"
    store_args=(--store "$("$pg" url "$pgdir")")
    ;;
  *) echo "usage: run.sh KMSCORE_TOOL BUILD_DIR [sqlite|postgresql]"; exit 2 ;;
esac

# The SDK, installed once per build directory from the pinned lock file.
sdk="$build/sdk"
if ! cmp -s "$here/package-lock.json" "$sdk/package-lock.json" 2>/dev/null ||
   [ ! -d "$sdk/node_modules/@huaweicloud/huaweicloud-sdk-core" ]; then
  mkdir -p "$sdk"
  cp "$here/package.json" "$here/package-lock.json" "$sdk/"
  npm ci --prefix "$sdk" --no-audit --no-fund --loglevel=error >/dev/null
fi
cp "$here"/*.js "$sdk/"

project=0123456789abcdef0123456789abcdef
other=fedcba9876543210fedcba9876543210
ak=KMSCORETESTACCESSKEY
sk=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
umask 077
mkdir -p "$work/state"
cat >"$work/credentials.json" <<JSON
{"credentials": [{"access_key": "$ak", "secret_key": "$sk", "projects": ["$project"]},
                 {"access_key": "OTHERACCESSKEY", "secret_key": "other-secret", "projects": ["$other"]}]}
JSON
"$tool" serve --listen 127.0.0.1:0 --state "$work/state" --credentials "$work/credentials.json" \
  "${store_args[@]}" 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do
  port=$(sed -n 's|^kmscore: listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { cat "$work/serve.log"; echo "serve did not start"; exit 1; }
status=0
node "$sdk/drive.js" "http://127.0.0.1:$port" "$ak" "$sk" "$project" "$other" || status=$?
kill -TERM "$server"
wait "$server" || { echo "serve did not exit cleanly"; status=1; }
server=
[ "$status" -eq 0 ] || { echo "--- serve log"; tail -30 "$work/serve.log"; }
exit "$status"
