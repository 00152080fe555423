#!/usr/bin/env bash
# Loads the demo data (seed/seed.sql) into a database that has the schema but no users yet: the
# first release step of the demo's first deploy. On every later deploy the data is there and
# this does nothing, so it is safe to keep in the release steps.
#
#   deploy/seed-if-empty.sh [ROWS]       # ROWS loans (default $SEED_ROWS, else 10000)
#
# Connects as DIRECT_URL (the tables' owner, so big seeds can drop and re-add foreign keys),
# else DATABASE_URL.
set -euo pipefail
app=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${1:-${SEED_ROWS:-10000}}
url=${DIRECT_URL:-${DATABASE_URL:?seed-if-empty.sh: DATABASE_URL is not set}}
users=$(psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" -c "SELECT count(*) FROM users")
if ((users > 0)); then
  echo "the database already has $users users: nothing to seed"
  exit 0
fi
start=$SECONDS
psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" "$url" -f "$app/seed/seed.sql" >/dev/null
echo "seeded $rows loans in $((SECONDS - start))s"
