#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for N seconds (default 30)
# on a corpus seeded from the lint fixtures, the example migrations, the config examples, HTTP
# requests for the gate and JWTs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
BUILD_DIR=$root/build-fuzz SLIPWAY_FUZZ=1 CMAKE_CXX_COMPILER=clang++ CMAKE_C_COMPILER=clang \
  bash "$root/scripts/build.sh" sql_fuzzer config_fuzzer gate_request_fuzzer jwt_fuzzer >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sql" "$work/config" "$work/gate_request" "$work/jwt"
cp "$root"/tests/lint/fixtures/*.sql "$work/sql/"
find "$root/examples" -name migration.sql -not -path '*/node_modules/*' -exec sh -c 'cp "$1" "$2/$(echo "$1" | md5sum | cut -c1-12).sql"' _ {} "$work/sql" \;
cp "$root"/tests/fuzz/config/* "$work/config/" 2>/dev/null || true
cp "$root"/tests/fuzz/sql/* "$work/sql/" 2>/dev/null || true  # inputs that once crashed
cp "$root"/tests/fuzz/gate_request/* "$work/gate_request/"
cp "$root"/tests/fuzz/jwt/* "$work/jwt/"
status=0
for target in sql config gate_request jwt; do
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
