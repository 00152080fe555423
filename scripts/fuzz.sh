#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for N seconds (default 30).
# Each target's corpus starts from tests/fuzz/<target>/ (hand-made seeds and inputs that once
# crashed; HTTP requests for the gate, JWTs, URLs, Prometheus text), plus the lint fixtures and example migrations for sql.
#   scripts/fuzz.sh 60            every target, 60 s each
#   scripts/fuzz.sh 60 verify     one target
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
targets=(sql config verify gate_request jwt url prometheus)
[ $# -ge 2 ] && targets=("${@:2}")

BUILD_DIR=$root/build-fuzz SLIPWAY_FUZZ=1 CMAKE_CXX_COMPILER=clang++ CMAKE_C_COMPILER=clang \
  bash "$root/scripts/build.sh" "${targets[@]/%/_fuzzer}" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  cp "$root"/tests/fuzz/"$target"/* "$work/$target/" 2>/dev/null || true
done
if [ -d "$work/sql" ]; then
  cp "$root"/tests/lint/fixtures/*.sql "$work/sql/"
  find "$root/examples" -name migration.sql -not -path '*/node_modules/*' \
    -exec sh -c 'cp "$1" "$2/$(echo "$1" | md5sum | cut -c1-12).sql"' _ {} "$work/sql" \;
fi

status=0
for target in "${targets[@]}"; do
  echo "fuzz: ${target}_fuzzer for ${seconds}s"
  if ! "$root/build-fuzz/fuzz/${target}_fuzzer" "$work/$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" >"$work/$target.log" 2>&1; then
    echo "fuzz: ${target}_fuzzer found a crash:"
    tail -n 40 "$work/$target.log"
    cp "$work"/crash-* "$root/" 2>/dev/null || true
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/fuzz: ${target}: /"
  fi
done
exit $status
