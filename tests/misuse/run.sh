#!/usr/bin/env bash
# Compile-fail checks: misuse.cpp must compile as written (KMSCORE_MISUSE=0) and must fail to
# compile with each misuse block enabled. Usage: run.sh CXX INCLUDE_DIR
set -uo pipefail
cxx=$1
include=$2
source=$(dirname "$0")/misuse.cpp
compile() { "$cxx" -std=c++20 -fsyntax-only -I "$include" -DKMSCORE_MISUSE="$1" "$source" 2>&1; }
if ! output=$(compile 0); then
  echo "FAIL: the correct uses do not compile:"
  echo "$output" | head -20
  exit 1
fi
failed=0
for n in $(seq 1 14); do
  if compile "$n" >/dev/null; then
    echo "FAIL: misuse $n compiles"
    failed=1
  else
    echo "ok: misuse $n is refused at compile time"
  fi
done
exit $failed
