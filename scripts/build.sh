#!/usr/bin/env bash
# Configures (once) and builds Slipway with Ninja. Builds are serialised with a lock so that two
# builds never share the machine's two cores.
#   scripts/build.sh                 the default build in build/
#   BUILD_DIR=build-asan SLIPWAY_SANITIZE=address,undefined scripts/build.sh
#   scripts/build.sh slipway         one target
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
jobs=${JOBS:-2}
cmake_args=(-G Ninja -S "$root" -B "$build_dir")
[ -n "${SLIPWAY_SANITIZE:-}" ] && cmake_args+=(-DSLIPWAY_SANITIZE="$SLIPWAY_SANITIZE" -DCMAKE_BUILD_TYPE=Debug)
[ -n "${SLIPWAY_FUZZ:-}" ] && cmake_args+=(-DSLIPWAY_FUZZ=ON -DSLIPWAY_BENCH=OFF)
[ -n "${CMAKE_CXX_COMPILER:-}" ] && cmake_args+=(-DCMAKE_CXX_COMPILER="$CMAKE_CXX_COMPILER" -DCMAKE_C_COMPILER="${CMAKE_C_COMPILER:-clang}")
# ccache, when present, makes rebuilds and second checkouts (git worktrees) cheap.
if [ "${SLIPWAY_CCACHE:-1}" = 1 ] && command -v ccache >/dev/null 2>&1; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$root")} CCACHE_NOHASHDIR=true
fi
exec 9>"${TMPDIR:-/tmp}/slipway-build.lock"
flock 9
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake "${cmake_args[@]}" >/dev/null
fi
ninja -C "$build_dir" -j"$jobs" "$@"
