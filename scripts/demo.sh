#!/usr/bin/env bash
# The demo on embedded defaults: a private PostgreSQL holding the example app's v1 schema filled
# with seed data (1.2M loans by default), and `slipway lint` reviewing the pending v2 and v3
# migrations against it. v2 comes out safe; v3 is blocked, with the live sizes in its messages.
# Nothing is left running afterwards.
#   DEMO_ROWS=200000 scripts/demo.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
slipway=$root/build/src/cli/slipway
app=$root/examples/loans
rows=${DEMO_ROWS:-1200000}
[ -x "$slipway" ] || bash "$root/scripts/build.sh"

bold() { if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }

bold "== 1. A private PostgreSQL (stopped when this script ends)"
coproc PG { bash "$root/scripts/pg-sandbox"; }
read -r _ admin_url <&"${PG[0]}"
url=${admin_url%/postgres}/loans
psql -X -q "$admin_url" -c "CREATE DATABASE loans"
echo "   $url"

bold "== 2. Production today: the v1 schema, seeded with $rows loans"
psql -X -q -v ON_ERROR_STOP=1 "$url" -f "$app/prisma/migrations/20260101000000_init/migration.sql"
start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" "$url" -f "$app/seed/seed.sql" >/dev/null
psql -X -q -A -t "$url" -c "SELECT format('   %s: %s rows, %s', relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid))) FROM pg_stat_user_tables WHERE relname IN ('loans','members','repayments') ORDER BY relname"
echo "   seeded in $(($(date +%s) - start))s"

bold "== 3. slipway lint: review the pending migrations (v2 and v3) against the live database"
pending=("$app/prisma/migrations/20260201000000_report_sessions/migration.sql"
         "$app/prisma/migrations/20260301000000_loan_amount_bigint/migration.sql")
echo "   \$ slipway lint <v2 migration.sql> <v3 migration.sql> --database $url"
set +e
"$slipway" lint "${pending[@]}" --database "$url"
code=$?
set -e
echo
case $code in
  1) bold "slipway lint exited 1: v3 is blocked (a dropped column, and a type change that rewrites $rows loans)." ;;
  0) bold "slipway lint exited 0: nothing blocks." ;;
  *) bold "slipway lint exited $code."; exit "$code" ;;
esac
echo "The same review as JSON for CI: add --format json (or sarif, github, markdown)."
