# Shared by scripts/test and scripts/demo: install what a fresh Debian 12 machine lacks.
# shellcheck shell=bash

kmscore_packages=(cmake ninja-build g++ clang clang-format clang-tidy llvm libclang-rt-14-dev valgrind meson pkg-config libgtest-dev libbenchmark-dev
  libsodium-dev libcrypto++-dev nlohmann-json3-dev libssl-dev libsqlite3-dev libpq-dev postgresql-15
  libcpp-httplib-dev libboost1.81-dev curl wrk libipsec-mb-dev faketime libp11-kit-dev softhsm2
  opensc)

ensure_packages() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them (sudo apt-get install -y ${missing[*]}) or run this script as root" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures (or reconfigures) a meson build directory.
meson_setup() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}
