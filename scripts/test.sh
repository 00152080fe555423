#!/usr/bin/env bash
# Every test: the unit and black-box tests (ctest, each PostgreSQL-backed binary starting its own
# server), the example app's tests, the unit tests again under ASan+UBSan, clang's thread-safety
# analysis, and a short run of each fuzzer. Ends with one "N passed, N failed" line over all of it.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0
failed=0
step() {  # step NAME COMMAND...: runs a stage and counts it
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!! $name failed"; fi
}

bash scripts/setup.sh || exit 3
bash scripts/build.sh || exit 1

# ctest: each test binary is one test (one PostgreSQL per binary).
echo "== ctest"
ctest_log=$(mktemp)
ctest --test-dir build --output-on-failure -j2 2>&1 | tee "$ctest_log"
ctest_passed=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$ctest_log" | awk '{print $6 - $1}')
ctest_failed=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$ctest_log" | awk '{print $1}')
if [ -z "$ctest_passed" ]; then ctest_passed=0; ctest_failed=1; fi
passed=$((passed + ctest_passed))
failed=$((failed + ctest_failed))
rm -f "$ctest_log"

asan_tests() {
  BUILD_DIR=build-asan SLIPWAY_SANITIZE=address,undefined bash scripts/build.sh core_test sql_test migrate_test lint_test pg_test verify_test deploy_test jwt_test >/dev/null &&
    for t in core_test sql_test migrate_test lint_test pg_test verify_test deploy_test jwt_test; do
      echo "-- $t (asan+ubsan)"
      ASAN_OPTIONS=detect_leaks=1 ./build-asan/tests/$t --gtest_brief=1 || return 1
    done
}
step "unit tests under AddressSanitizer and UBSan" asan_tests
step "thread-safety annotations (clang)" bash scripts/thread_safety.sh
step "fuzzers (${SLIPWAY_FUZZ_SECONDS:-30}s each)" bash scripts/fuzz.sh "${SLIPWAY_FUZZ_SECONDS:-30}"

echo "slipway: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
