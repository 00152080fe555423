#!/usr/bin/env bash
# The backup benchmark (issue 3, "Speed"): on a database of about 1 GB seeded with the loans
# example's seed script, in one run against one private PostgreSQL:
#   pg_dump -Fc (its default compression)  vs  slipway backup create      goal: <= 1.0x time, smaller file
#   pg_restore of pg_dump's file           vs  slipway backup restore     goal: <= 1.1x time
#   pgbackrest backup --type=full of the same cluster, for time and size
# Times are wall-clock times of the whole command, taken here the same way for every tool.
#
#   bench/backup.sh                     about 1 GB (a small probe seed finds the row count first)
#   BENCH_ROWS=20000 bench/backup.sh    a quick run with that many loans
#   BENCH_BYTES=2000000000              another target size
#   BENCH_SKIP_SLIPWAY=1                only the other tools (while `slipway backup` is missing)
#   PGBACKREST_OPTS="--process-max=2 --compress-type=zst"   options for pgBackRest's backup
# The table goes to stdout and to bench/results/backup.txt (BENCH_OUT for another file).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
app=$root/examples/loans
slipway=${SLIPWAY:-$root/build/src/cli/slipway}
target_bytes=${BENCH_BYTES:-1000000000}
out=${BENCH_OUT:-$root/bench/results/backup.txt}
skip_slipway=${BENCH_SKIP_SLIPWAY:-}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 3; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# The server, pg_ctl and pgBackRest run as the postgres user when we are root.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# --- what the benchmark needs -------------------------------------------------------------------
missing=()
command -v psql >/dev/null && command -v pg_dump >/dev/null && command -v pg_restore >/dev/null ||
  missing+=(postgresql-client-15)
command -v pgbackrest >/dev/null || missing+=(pgbackrest)
command -v node >/dev/null || missing+=(nodejs)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -z "$skip_slipway" ] && [ ! -x "$slipway" ]; then bash "$root/scripts/build.sh" slipway >/dev/null; fi
bindir=${SLIPWAY_PG_BINDIR:-}
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  if [ -z "$bindir" ] && [ -x "$candidate/pg_ctl" ]; then bindir=$candidate; fi
done
[ -n "$bindir" ] || die "PostgreSQL server binaries not found; run scripts/setup.sh"

# JSON field `path` (dotted, numeric indexes allowed) of standard input.
json() { node -e 'let v = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const k of process.argv[1].split(".")) v = v == null ? v : v[k];
  console.log(v ?? "")' "$1"; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
bytes() { stat -c %s "$1"; }

# --- a private PostgreSQL ------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench.XXXXXX")
chmod 755 "$work"
cleanup() {
  [ -n "${PG_PID:-}" ] && { exec {PG[1]}>&- 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
coproc PG { bash "$root/scripts/pg-sandbox"; }
read -r _ admin_url <&"${PG[0]}" || die "the PostgreSQL sandbox did not start"
base=${admin_url%/postgres}
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
datadir=$(sql "$admin_url" -c "SHOW data_directory")
socketdir=$(sql "$admin_url" -c "SHOW unix_socket_directories")
port=$(sql "$admin_url" -c "SHOW port")

new_database() {
  sql "$admin_url" -c "CREATE DATABASE $1"
  for m in "$app"/prisma/migrations/*/migration.sql; do sql "$base/$1" -f "$m" >/dev/null; done
}
seed() { sql "$base/$1" -v rows="$2" -f "$app/seed/seed.sql" >/dev/null; }
db_size() { sql "$admin_url" -c "SELECT pg_database_size('$1')"; }

# --- about 1 GB of the example app's data --------------------------------------------------------
rows=${BENCH_ROWS:-}
if [ -z "$rows" ]; then
  probe_rows=50000
  new_database probe
  empty=$(db_size probe)
  seed probe "$probe_rows"
  seeded=$(db_size probe)
  rows=$(((target_bytes - empty) * probe_rows / (seeded - empty)))
  sql "$admin_url" -c "DROP DATABASE probe"
  say "probe: $probe_rows loans take $(((seeded - empty) / 1000000)) MB; $rows loans for $((target_bytes / 1000000)) MB"
fi
say "seeding $rows loans"
start=$(now)
new_database bench
seed bench "$rows"
sql "$base/bench" -c "VACUUM ANALYZE" -c "CHECKPOINT"
size=$(db_size bench)
say "seeded in $(seconds_since "$start")s: $((size / 1000000)) MB"
counts() { sql "$base/$1" -c "SELECT (SELECT count(*) FROM loans) || ' loans, ' || (SELECT count(*) FROM repayments) || ' repayments, ' || (SELECT count(*) FROM members) || ' members'"; }
want_counts=$(counts bench)

# --- pg_dump -Fc vs slipway backup create --------------------------------------------------------
say "pg_dump -Fc"
start=$(now)
pg_dump -Fc -f "$work/bench.dump" "$base/bench"
t_dump=$(seconds_since "$start")
s_dump=$(bytes "$work/bench.dump")

t_create="" s_create="" backup_id=""
if [ -z "$skip_slipway" ]; then
  cat >"$work/slipway.toml" <<EOF
[database]
url = "$base/bench"

[backup]
repository = "$work/slipway-repo"
EOF
  say "slipway backup create"
  start=$(now)
  (cd "$work" && "$slipway" backup create --config "$work/slipway.toml" --format json >"$work/create.json")
  t_create=$(seconds_since "$start")
  backup_id=$(json id <"$work/create.json")
  s_create=$(json archive_bytes <"$work/create.json")
  [ -n "$s_create" ] || s_create=$(du -sb "$work/slipway-repo" | cut -f1)  # no size in the JSON
fi

# --- pg_restore vs slipway backup restore, each into an empty database ---------------------------
say "pg_restore"
sql "$admin_url" -c "CREATE DATABASE restored_pg_dump"
start=$(now)
pg_restore -d "$base/restored_pg_dump" "$work/bench.dump"
t_restore=$(seconds_since "$start")
[ "$(counts restored_pg_dump)" = "$want_counts" ] || die "pg_restore's copy differs: $(counts restored_pg_dump)"

t_srestore=""
if [ -z "$skip_slipway" ]; then
  say "slipway backup restore"
  sql "$admin_url" -c "CREATE DATABASE restored_slipway"
  start=$(now)
  (cd "$work" && "$slipway" backup restore "$backup_id" --to "$base/restored_slipway" --config "$work/slipway.toml" \
    --format json >"$work/restore.json")
  t_srestore=$(seconds_since "$start")
  [ "$(counts restored_slipway)" = "$want_counts" ] || die "slipway's copy differs: $(counts restored_slipway)"
fi
sql "$admin_url" -c "DROP DATABASE restored_pg_dump"
[ -z "$skip_slipway" ] && sql "$admin_url" -c "DROP DATABASE restored_slipway"

# --- pgBackRest full backup of the same cluster --------------------------------------------------
# As its user guide says: a stanza naming the data directory, a repository, and WAL archiving
# through `pgbackrest archive-push` (archive_mode needs a restart). Archiving starts only now, so
# the WAL of the seed and the restores does not run through it while the others are timed.
say "pgbackrest backup --type=full"
mkdir -p "$work/pgbackrest/"{repo,log,lock,spool}
cat >"$work/pgbackrest/pgbackrest.conf" <<EOF
[global]
repo1-path=$work/pgbackrest/repo
log-path=$work/pgbackrest/log
lock-path=$work/pgbackrest/lock
spool-path=$work/pgbackrest/spool
log-level-console=warn
log-level-file=info
start-fast=y
repo1-retention-full=1

[bench]
pg1-path=$datadir
pg1-port=$port
pg1-socket-path=$socketdir
pg1-user=postgres
EOF
[ "$(id -u)" -eq 0 ] && chown -R postgres "$work/pgbackrest"
pgbr() { as_pg pgbackrest --config="$work/pgbackrest/pgbackrest.conf" --stanza=bench "$@"; }
sql "$admin_url" -c "ALTER SYSTEM SET archive_mode = on" \
  -c "ALTER SYSTEM SET archive_command = 'pgbackrest --config=$work/pgbackrest/pgbackrest.conf --stanza=bench archive-push %p'"
as_pg "$bindir/pg_ctl" -D "$datadir" -l "$(dirname "$datadir")/server.log" -w -t 60 -m fast restart >/dev/null  # reuses the sandbox's options
pgbr stanza-create
pgbr check
start=$(now)
# shellcheck disable=SC2086  # PGBACKREST_OPTS is a list of options
pgbr ${PGBACKREST_OPTS:-} --type=full backup
t_pgbr=$(seconds_since "$start")
pgbr --output=json info >"$work/pgbr.json"
s_pgbr=$(json 0.backup.0.info.repository.size <"$work/pgbr.json")
s_cluster=$(json 0.backup.0.info.size <"$work/pgbr.json")

# --- the table -----------------------------------------------------------------------------------
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "-"; }
mb() { [ -n "$1" ] && awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }' || echo "-"; }
secs() { [ -n "$1" ] && echo "$1 s" || echo "-"; }
{
  echo "# bench/backup.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1e6 }' /proc/meminfo) RAM; $(pg_dump --version);" \
    "$(pgbackrest version)"
  echo "# database: $rows loans (seed.sql), $want_counts; pg_database_size $(mb "$size")"
  [ -z "$skip_slipway" ] && echo "# slipway's own durations (duration_ms): create $(json duration_ms <"$work/create.json") ms," \
    "restore $(json duration_ms <"$work/restore.json") ms, with row counts checked"
  echo "# pgBackRest copies the whole cluster: $(mb "$s_cluster") of data files; options: ${PGBACKREST_OPTS:-defaults (gz level 6, process-max 1)}"
  echo
  echo "| what | time | size | time ratio | size ratio |"
  echo "|---|---:|---:|---:|---:|"
  echo "| pg_dump -Fc | $(secs "$t_dump") | $(mb "$s_dump") | 1.00x | 1.00x |"
  echo "| slipway backup create | $(secs "$t_create") | $(mb "$s_create") | $(ratio "$t_create" "$t_dump") | $(ratio "$s_create" "$s_dump") |"
  echo "| pg_restore (pg_dump's file) | $(secs "$t_restore") | | 1.00x | |"
  echo "| slipway backup restore | $(secs "$t_srestore") | | $(ratio "$t_srestore" "$t_restore") | |"
  echo "| pgbackrest backup --type=full | $(secs "$t_pgbr") | $(mb "$s_pgbr") | $(ratio "$t_pgbr" "$t_dump") | $(ratio "$s_pgbr" "$s_dump") |"
  echo
  echo "Goals: backup create <= 1.00x pg_dump's time with a smaller file; restore <= 1.10x pg_restore's time."
} | tee "$work/table.txt"
mkdir -p "$(dirname "$out")"
cp "$work/table.txt" "$out"
say "written to $out"
