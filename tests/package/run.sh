#!/usr/bin/env bash
# Packaging test: installs kmscore from the source tree into a temporary prefix, then builds
# and runs a small consumer three ways: CMake find_package(kmscore), meson through the
# installed pkg-config file, and meson with kmscore as a subproject.
# Usage: run.sh SOURCE_DIR [CXX]
set -euo pipefail
src=$(cd "$1" && pwd)
cxx=${2:-c++}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
quiet() { "$@" >"$work/log" 2>&1 || { cat "$work/log"; echo "FAILED: $*"; exit 1; }; }

quiet cmake -S "$src" -B "$work/lib" -G Ninja -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DKMSCORE_BUILD_TESTS=OFF -DKMSCORE_BUILD_BENCHMARKS=OFF \
  -DKMSCORE_BUILD_EXAMPLES=OFF
quiet cmake --build "$work/lib"
quiet cmake --install "$work/lib"
for f in include/kmscore/kmscore.hpp share/cmake/kmscore/kmscoreConfig.cmake \
         share/cmake/kmscore/kmscoreConfigVersion.cmake share/pkgconfig/kmscore.pc; do
  [ -f "$prefix/$f" ] || { echo "FAILED: $f not installed"; exit 1; }
done

# 1. CMake: find_package against the installed tree.
quiet cmake -S "$here/cmake_consumer" -B "$work/cmake_consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx"
quiet cmake --build "$work/cmake_consumer"
"$work/cmake_consumer/consumer"
echo "find_package consumer: ok"

# 2. meson through pkg-config.
cp -r "$here/meson_consumer" "$work/meson_pc"
cp "$here/consumer.cpp" "$work/meson_pc/"
PKG_CONFIG_PATH="$prefix/share/pkgconfig" CXX="$cxx" quiet meson setup "$work/meson_pc/build" "$work/meson_pc"
quiet ninja -C "$work/meson_pc/build"
"$work/meson_pc/build/consumer"
echo "pkg-config consumer: ok"

# 3. meson subproject (no installed copy visible, the fallback is forced).
cp -r "$here/meson_consumer" "$work/meson_sub"
cp "$here/consumer.cpp" "$work/meson_sub/"
mkdir -p "$work/meson_sub/subprojects"
ln -s "$src" "$work/meson_sub/subprojects/kmscore"
CXX="$cxx" quiet meson setup --force-fallback-for=kmscore "$work/meson_sub/build" "$work/meson_sub"
quiet ninja -C "$work/meson_sub/build"
"$work/meson_sub/build/consumer"
echo "meson subproject consumer: ok"
