#!/usr/bin/env bash
# End-to-end test of the example application (examples/loans).
#
# Starts a private PostgreSQL in a temporary directory, applies the v1 and v2
# migrations, seeds it, runs the app on RELEASE=v2 and its smoke tests
# (examples/loans/test). Then applies the v3 migration, checks that the still
# running v2 code breaks on it, restarts on RELEASE=v3 and checks that the
# deliberate v3 bug is caught by the smoke tests (and only the report tests).
# Everything listens on 127.0.0.1, on ports picked at run time; the cluster and
# the app are stopped and the directory removed on exit, failure included.
#
# Environment: SEED_ROWS (default 1000), PG_BIN (the PostgreSQL server binaries for scripts/pg-sandbox, default
# /usr/lib/postgresql/15/bin), KEEP_LOGS=1 to print the app logs at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/example_app
APP_DIR=$ROOT/examples/loans
MIGRATIONS=$APP_DIR/prisma/migrations
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SEED_ROWS=${SEED_ROWS:-1000}
SLIPWAY=${SLIPWAY:-$ROOT/build/src/cli/slipway} # `slipway verify` runs the app's suite too

export SEED_ROWS
export DEMO_PASSWORD=demo-password-1 # the seed's default password
export ACCESS_TOKEN_TTL=900
# Exported: the app reads it, and one auth test signs an expired token with it.
JWT_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
export JWT_SECRET

say() { printf '\n== %s\n' "$*"; }
die() {
  printf 'example_app: FAILED: %s\n' "$*" >&2
  exit 1
}

command -v psql >/dev/null || die "psql not found"
command -v node >/dev/null || die "node not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/slipway-example-app.XXXXXX")
chmod 755 "$WORK"
APP_PID=
APP_LOG=

stop_app() {
  if [[ -n $APP_PID ]]; then
    kill -TERM "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    APP_PID=
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_app
  # Closing the sandbox's stdin stops PostgreSQL and removes its directory.
  if [[ -n ${PG_PID:-} ]]; then
    exec {PG[1]}>&- 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
  fi
  if ((rc != 0)) || [[ ${KEEP_LOGS:-} == 1 ]]; then
    for f in "$WORK"/app-*.log; do
      [[ -s $f ]] || continue
      printf '\n--- last lines of %s\n' "$(basename "$f")" >&2
      tail -n 40 "$f" >&2
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# ---- PostgreSQL ---------------------------------------------------------------
# scripts/pg-sandbox runs it until its stdin (held by this script) closes, and cleans up.
say "starting a private PostgreSQL"
coproc PG { SLIPWAY_PG_BINDIR=$PG_BIN exec bash "$ROOT/scripts/pg-sandbox"; }
read -r ready ADMIN_URL <&"${PG[0]}" || die "PostgreSQL did not start"
[[ $ready == ready ]] || die "PostgreSQL did not start"
PG_PORT=${ADMIN_URL##*:}
PG_PORT=${PG_PORT%%/*}
echo "PostgreSQL listening on 127.0.0.1:$PG_PORT"
PG_PID=$PG_PID

psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" \
  -c 'CREATE ROLE loans LOGIN' -c 'CREATE DATABASE loans OWNER loans'
export DATABASE_URL="postgresql://loans@127.0.0.1:$PG_PORT/loans"
run_sql() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

# Applies, in name order, the migrations after the last applied one up to and
# including the one named in releases/<release>.json.
APPLIED=
migrate_to() {
  local target dir name
  target=$(node -e 'console.log(require(process.argv[1]).last_migration)' "$APP_DIR/releases/$1.json")
  [[ -d $MIGRATIONS/$target ]] || die "release $1 names unknown migration $target"
  for dir in "$MIGRATIONS"/*/; do
    name=$(basename "$dir")
    [[ $name > $APPLIED && ! $name > $target ]] || continue
    echo "applying $name"
    run_sql -1 -f "$dir/migration.sql"
    APPLIED=$name
  done
}

say "migrating to v1, then v2"
migrate_to v1
migrate_to v2

say "seeding $SEED_ROWS loans"
start_ms=$(($(date +%s%N) / 1000000))
run_sql -v rows="$SEED_ROWS" -f "$APP_DIR/seed/seed.sql"
echo "seed took $(($(date +%s%N) / 1000000 - start_ms)) ms"

# The row counts before the "deploy", in a state store of this run.
export SLIPWAY_STATE=$WORK/state.db
say "slipway verify integrity --snapshot"
"$SLIPWAY" verify integrity --snapshot --config "$APP_DIR/slipway.toml" --color never ||
  die "slipway verify integrity --snapshot failed"

# ---- the app ------------------------------------------------------------------
if [[ ! -d $APP_DIR/node_modules ]]; then
  say "installing the app's dependencies"
  (cd "$APP_DIR" && npm ci --no-audit --no-fund)
fi

start_app() {
  local release=$1
  APP_PORT=$(free_port)
  APP_LOG=$WORK/app-$release.log
  (cd "$APP_DIR" && RELEASE=$release PORT=$APP_PORT HOST=127.0.0.1 \
    exec node src/server.js) >"$APP_LOG" 2>&1 &
  APP_PID=$!
  export BASE_URL="http://127.0.0.1:$APP_PORT" EXPECTED_RELEASE=$release
  for _ in $(seq 1 100); do
    kill -0 "$APP_PID" 2>/dev/null || die "the app ($release) exited at start-up"
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "$BASE_URL/health" 2>/dev/null; then
      echo "app $release is healthy on $BASE_URL"
      return 0
    fi
    sleep 0.2
  done
  die "the app ($release) did not become healthy"
}

# node --test with the spec reporter on stdout and TAP in a file ($1).
run_tests() {
  local tap=$1
  shift
  node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$@"
}
tap_count() { grep -E "^# $1 [0-9]+$" "$2" | tail -n 1 | awk '{print $3}'; }

SMOKE_TESTS=("$APP_DIR"/test/*.test.js)

say "RELEASE=v2: smoke tests"
start_app v2
run_tests "$WORK/v2.tap" "${SMOKE_TESTS[@]}" || die "smoke tests failed on v2"

say "RELEASE=v2: slipway verify smoke (examples/loans/verify/smoke.toml) must pass"
"$SLIPWAY" verify smoke --config "$APP_DIR/slipway.toml" --color never || die "slipway verify smoke failed on v2"
"$SLIPWAY" verify smoke --config "$APP_DIR/slipway.toml" --format json >"$WORK/verify-v2.json" ||
  die "slipway verify smoke (json) failed on v2"
"$SLIPWAY" verify websocket --config "$APP_DIR/slipway.toml" --color never || die "slipway verify websocket failed on v2"
# The smoke runs created unions, members, loans and repayments (declared may_grow); users did not change.
"$SLIPWAY" verify integrity --config "$APP_DIR/slipway.toml" --color never || die "slipway verify integrity failed on v2"
# Captured tokens and the password from the environment never reach a report.
if grep -q -e "$DEMO_PASSWORD" -e '"eyJ' "$WORK/verify-v2.json"; then die "a secret leaked into the verify report"; fi

say "applying the v3 migration under the running v2 app"
migrate_to v3
run_tests "$WORK/v2-on-v3.tap" "$HERE/v2_on_v3_schema.test.js" ||
  die "the v2 app did not break on the v3 schema as expected"
stop_app

say "RELEASE=v3: smoke tests (the report tests must fail, nothing else)"
start_app v3
if run_tests "$WORK/v3.tap" "${SMOKE_TESTS[@]}" >"$WORK/v3-smoke.out" 2>&1; then
  cat "$WORK/v3-smoke.out"
  die "the smoke tests passed on v3: the deliberate v3 bug was not caught"
fi
# Top-level TAP results look like "not ok 12 - report: ...".
failed=$(grep -E '^not ok [0-9]+ - ' "$WORK/v3.tap" | sed -E 's/^not ok [0-9]+ - //' || true)
echo "failing on v3, as expected:"
mapfile -t failed_names <<<"$failed"
printf '  %s\n' "${failed_names[@]}"
if [[ -z $failed ]] || grep -qv '^report: ' <<<"$failed"; then
  cat "$WORK/v3-smoke.out"
  die "on v3 something other than the report tests failed (or nothing was reported)"
fi
passed_v3=$(tap_count pass "$WORK/v3.tap")
echo "the other $passed_v3 smoke tests pass on v3"

say "RELEASE=v3: slipway verify smoke must fail, on the report flow only"
set +e
"$SLIPWAY" verify smoke --config "$APP_DIR/slipway.toml" --format json >"$WORK/verify-v3.json"
code=$?
set -e
[[ $code == 1 ]] || die "slipway verify smoke exited $code on v3, expected 1"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const failed = r.checks.filter((c) => c.status === "fail");
  for (const c of failed) console.log(`  ${c.id} [${c.subject}] ${c.message}`);
  const other = failed.filter((c) => !c.subject.startsWith("the report endpoint works"));
  if (failed.length === 0 || other.length > 0) process.exit(1);
' "$WORK/verify-v3.json" || die "on v3 slipway verify failed on something other than the report (or on nothing)"

say "RELEASE=v3: the bug itself"
run_tests "$WORK/v3-bug.tap" "$HERE/v3_bug.test.js" || die "the v3 bug check failed"

stop_app
pass=0
fail=0
for f in v2 v2-on-v3 v3-bug; do
  pass=$((pass + $(tap_count pass "$WORK/$f.tap")))
  fail=$((fail + $(tap_count fail "$WORK/$f.tap")))
done
echo
echo "example_app: $pass passed, $fail failed"
