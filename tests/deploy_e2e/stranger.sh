#!/usr/bin/env bash
# End-to-end tests of `slipway deploy` as a newcomer sets it up, on an app that is not
# examples/loans: tests/deploy_e2e/notes, a node:http + pg service where users sign in
# (POST /login, allow-listed at the gate) and post notes. Each scenario gets its own database,
# folder, gate and ports, and a slipway.toml written the way docs/commands/deploy.md shows.
#
#   writer   a user POSTs a note every 50 ms and signs in every 500 ms through the gate while a
#            deploy of v2 migrates, fails its verify and restores the database: every write the
#            app acknowledged is in the database afterwards, or is named in the rollback's report
#   restore  `slipway rollback --restore-db` of v2 after users wrote: the live database is backed
#            up first, integrity is compared with the restored backup's snapshot, and the record
#            says what the database holds
#   deadline a release step that hangs is stopped at [deploy.deadlines] release, with its process
#            group, and the deploy rolls back; `slipway status` shows the phase and its deadline
#   interrupted  a deploy killed after the gate went read-only but before its record said so:
#            `slipway rollback` lets the writes go
#   adopt    v1 already runs, started by hand; the first deploy (v2) fails its verify: the
#            rollback switches back, checks that v1 answers again, and v1 still serves
#   docs     a deploy configured from the docs alone: behind the gate, a migration, smoke flows
#            that POST as a normal user, no admin identity, no check disabled; it succeeds
#
# Environment: SLIPWAY (the binary), E2E_ONLY (a regex of scenario names), KEEP_WORK=1.
set -euo pipefail

# shellcheck source=preamble.sh
source "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
NOTES=$ROOT/tests/deploy_e2e/notes
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slipway-stranger.XXXXXX")
chmod 755 "$WORK"
SCENARIO=
PASSED=()
WRITER_PID=
GATE_PID=

die() {
  printf 'deploy_stranger [%s]: FAILED: %s\n' "$SCENARIO" "$*" >&2
  exit 1
}
expect() { [[ $1 == "$2" ]] || die "$3: got '$1', expected '$2'"; }

stop_scenario() {
  [[ -n $WRITER_PID ]] && { kill "$WRITER_PID" 2>/dev/null || true; wait "$WRITER_PID" 2>/dev/null || true; }
  WRITER_PID=
  local f
  for f in "$DIR"/run/*.pid "$DIR"/by-hand/*.pid; do
    [[ -e $f ]] || continue
    RUN_DIR=$(dirname "$f") "$NOTES/stop.sh" "$(basename "$f" .pid)" || true
  done
  [[ -n $GATE_PID ]] && { kill "$GATE_PID" 2>/dev/null || true; wait "$GATE_PID" 2>/dev/null || true; }
  GATE_PID=
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)) && [[ -n ${DIR:-} ]]; then
    for f in "$DIR"/*.out "$DIR"/run/*.log "$DIR"/gate.log; do
      [[ -s $f ]] || continue
      printf '\n--- %s\n' "$f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  [[ -n ${DIR:-} ]] && stop_scenario
  e2e_end "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

e2e_prepare
export NODE_PATH=$DEMO_APP/node_modules # the notes app needs only pg
export NODE_ENV=production
demo_start_pg

# scenario NAME: a database, a folder with migrations/001 and the notes app's smoke flows, ports.
scenario() {
  SCENARIO=$1
  [[ -n ${DIR:-} ]] && stop_scenario
  DIR=$WORK/$1
  DEMO_DIR=$DIR # for run_slipway and demo_stop_all
  CONFIG=$DIR/slipway.toml
  mkdir -p "$DIR/migrations" "$DIR/run"
  cp "$NOTES/migrations/001_notes.sql" "$DIR/migrations/"
  cp "$NOTES/smoke.toml" "$DIR/"
  demo_create_database "${1//-/_}"
  GATE_PORT=$(demo_free_port)
  ADMIN_PORT=$(demo_free_port)
  V1_PORT=$(demo_free_port)
  V2_PORT=$(demo_free_port)
  RUNS=0
  printf '\n== scenario %s\n' "$1"
}

# write_config [EXTRA]: the slipway.toml of a scenario, as docs/commands/deploy.md's example has it.
write_config() {
  cat >"$DIR/slipway.toml" <<EOF
[project]
name = "notes"

[database]
url = "\${DATABASE_URL}"
direct_url = "\${DIRECT_URL}"

[migrations]
dir = "migrations"

[gate]
listen = "127.0.0.1:$GATE_PORT"
upstream = "127.0.0.1:$V1_PORT"
admin_listen = "127.0.0.1:$ADMIN_PORT"
control_socket = "gate.sock"
allow = ["/login"]

[verify]
base_url = "http://127.0.0.1:$GATE_PORT"
flows = ["smoke.toml"]

[verify.integrity]
tables = ["notes"]
may_grow = ["notes"]

[deploy]
restore_on_rollback = true
upstream = "127.0.0.1:\${APP_PORT}"

[[deploy.steps]]
name = "start the release"
run = "$NOTES/start.sh \$SLIPWAY_VERSION \$APP_PORT"
rollback = "$NOTES/stop.sh \$SLIPWAY_VERSION"
after_switch = "$NOTES/stop.sh \$SLIPWAY_PREVIOUS_VERSION"
env = { RUN_DIR = "$DIR/run" }
${1:-}
EOF
}
start_gate() {
  "$SLIPWAY" gate run --config "$DIR/slipway.toml" >"$DIR/gate.log" 2>&1 &
  GATE_PID=$!
  for _ in $(seq 1 100); do
    "$SLIPWAY" gate status --config "$DIR/slipway.toml" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the gate did not start: $(tail -n 5 "$DIR/gate.log")"
}
deploy() { # deploy VERSION PORT [ARGS...]
  local version=$1 port=$2
  shift 2
  APP_PORT=$port run_slipway deploy --version "$version" "$@"
}
record() { # record FIELD...: the newest record's fields, tab-separated
  "$SLIPWAY" history --config "$DIR/slipway.toml" --format json | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8")).deploys[0] || {};
    const get = (k) => { const v = k.split(".").reduce((o, p) => (o == null ? o : o[p]), r);
      return Array.isArray(v) ? v.map((x) => (typeof x === "object" ? x.name + ":" + x.status : x)).join(",") : v ?? ""; };
    console.log(process.argv.slice(1).map(get).join("\t"));' "$@"
}
served() { curl -fsS --max-time 5 "http://127.0.0.1:$GATE_PORT/health" | node -e '
  console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).release);'; }
gate_mode() { "$SLIPWAY" gate status --config "$DIR/slipway.toml" --format json | node -e '
  console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).mode);'; }
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DIRECT_URL" -c "$1"; }

# ---- writer: no acknowledged write is lost by a rollback that restores ----------------------
if [[ writer =~ $ONLY ]]; then
  scenario writer
  write_config
  start_gate
  deploy v1 "$V1_PORT"
  expect "$code" 0 "exit code of the v1 deploy"
  expect "$(served)" v1 "the release served after v1"
  cp "$NOTES/migrations/002_note_tags.sql" "$DIR/migrations/"
  node "$NOTES/writer.js" "http://127.0.0.1:$GATE_PORT" "$DIR/acknowledged.jsonl" >"$DIR/writer.out" 2>&1 &
  WRITER_PID=$!
  sleep 1
  # v2 migrates, then fails its verify (GET /notes answers 500): the rollback restores the backup.
  BROKEN=1 deploy v2 "$V2_PORT"
  expect "$code" 1 "exit code of the v2 deploy (its verify fails)"
  sleep 1
  kill "$WRITER_PID"
  wait "$WRITER_PID" || true
  WRITER_PID=
  IFS=$'\t' read -r status phases rollback <<<"$(record status phases rollback)"
  expect "$status" rolled-back "the v2 record"
  [[ ,$phases, == *",hold-writes:ok,"* && ,$phases, == *",migrate:ok,"* && ,$phases, == *",verify:failed,"* ]] ||
    die "v2 should have held writes, migrated and failed its verify: $phases"
  [[ ,$rollback, == *",undo migrate:ok,"* && ,$rollback, == *",verify:ok,"* ]] ||
    die "the rollback should have restored the database and verified v1: $rollback"
  expect "$(served)" v1 "the release served after the rollback"
  expect "$(gate_mode)" normal "the gate's mode after the rollback"
  expect "$(sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'tag'")" 0 \
    "notes.tag after the restore"
  cat "$DIR/writer.out"
  refused=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).refused)' "$DIR/writer.out")
  ((refused > 0)) || die "no write was held (refused with 503) during the deploy: the window was not exercised"
  # Every acknowledged note is in the database.
  missing_notes=$(node -e '
    const fs = require("fs");
    const ids = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
      .filter((w) => w.kind === "note").map((w) => w.id);
    console.log(ids.join(","));' "$DIR/acknowledged.jsonl")
  ((${#missing_notes} > 0)) || die "the writer got no note acknowledged"
  lost=$(sql "SELECT count(*) FROM unnest('{$missing_notes}'::bigint[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM notes n WHERE n.id = a.id)")
  expect "$lost" 0 "acknowledged notes missing from the database after the rollback"
  # Every acknowledged sign-in is in the database, or named in the rollback's report.
  tokens=$(node -e '
    const fs = require("fs");
    console.log(fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
      .filter((w) => w.kind === "session").map((w) => w.token).join(","));' "$DIR/acknowledged.jsonl")
  lost_sessions=$(sql "SELECT count(*) FROM unnest(string_to_array('$tokens', ',')) AS a(t) WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.token = a.t)")
  named=$(record writes.not_restored | tr ',' '\n' | grep -c "^POST /login" || true)
  echo "sign-ins lost by the restore: $lost_sessions; named in the report: $named"
  ((lost_sessions <= named)) || die "$lost_sessions acknowledged sign-ins are gone and the report names $named"
  if ((lost_sessions > 0)); then
    grep -q "the gate let through after the backup" "$OUT" || die "the deploy's output does not name the lost writes"
  fi
  PASSED+=(writer)
fi

# ---- restore: `slipway rollback --restore-db` after users wrote for a while -----------------
if [[ restore =~ $ONLY ]]; then
  scenario restore
  write_config
  start_gate
  deploy v1 "$V1_PORT" && expect "$code" 0 "v1 deploy"
  cp "$NOTES/migrations/002_note_tags.sql" "$DIR/migrations/"
  deploy v2 "$V2_PORT" && expect "$code" 0 "v2 deploy"
  v2_notes=$(sql "SELECT count(*) FROM notes")
  # Users keep writing after v2; then v2 is rolled back with its database.
  token=$(curl -fsS -X POST -H 'content-type: application/json' -d '{"name":"late"}' "http://127.0.0.1:$GATE_PORT/login" |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).token)')
  for i in 1 2 3; do
    curl -fsS -o /dev/null -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
      -d "{\"text\":\"late $i\"}" "http://127.0.0.1:$GATE_PORT/notes"
  done
  APP_PORT=$V1_PORT run_slipway rollback --restore-db
  # Regression: integrity compared the restored database with the newest snapshot (the live one)
  # and the rollback always failed its own verify; no backup of the live database was taken.
  expect "$code" 0 "exit code of rollback --restore-db: $(tail -n 15 "$OUT")"
  IFS=$'\t' read -r kind status phases <<<"$(record kind status phases)"
  migrations=$(record migrations_applied)
  state=$(record database_state)
  expect "$kind/$status" rollback/succeeded "the rollback record"
  [[ ,$phases, == *",hold-writes:ok,"* && ,$phases, == *",backup:ok,"* && ,$phases, == *",restore:ok,"* && ,$phases, == *",verify:ok,"* ]] ||
    die "the rollback should hold writes, back up the live database, restore and verify: $phases"
  expect "$migrations" "" "migrations_applied after the restore (the restore took them away)"
  [[ $state == "the database has 1 migration applied (the last: 001_notes.sql), 1 pending" ]] ||
    die "the record's database_state: $state"
  expect "$(sql "SELECT count(*) FROM notes")" "$v2_notes" "notes after the restore (as before v2)"
  expect "$(served)" v1 "the release served after the rollback"
  expect "$(gate_mode)" normal "the gate's mode after the rollback"
  # The live database, with the three late notes, is in the pre-rollback backup.
  "$SLIPWAY" backup list --config "$DIR/slipway.toml" --format json | grep -q '"pre-rollback"' ||
    die "no pre-rollback backup of the live database"
  grep -q "the database as it was is in backup" "$OUT" || die "the rollback does not name the live database's backup"
  PASSED+=(restore)
fi

# ---- deadline: a hung release step is stopped at the phase's deadline and rolled back ---------
if [[ deadline =~ $ONLY ]]; then
  scenario deadline
  write_config '
[[deploy.steps]]
name = "warm up (hangs)"
run = "test \"$SLIPWAY_VERSION\" = v1 || sleep 600"
timeout = "1h"

[deploy.deadlines]
release = "3s"'
  start_gate
  deploy v1 "$V1_PORT" && expect "$code" 0 "v1 deploy"
  APP_PORT=$V2_PORT "$SLIPWAY" deploy --version v2 --config "$DIR/slipway.toml" >"$DIR/hung.out" 2>&1 &
  hung=$!
  # `slipway status` shows the running phase, for how long, and its deadline.
  shown=
  for _ in $(seq 1 100); do
    shown=$("$SLIPWAY" status --config "$DIR/slipway.toml" | grep "release running for" || true)
    [[ -n $shown ]] && break
    sleep 0.1
  done
  [[ $shown == *"release running for "*"(deadline 3s)" ]] || die "slipway status during the release: '$shown'"
  set +e
  wait "$hung"
  code=$?
  set -e
  expect "$code" 1 "exit code of the deploy whose release step hangs"
  IFS=$'\t' read -r status phases <<<"$(record status phases)"
  expect "$status" rolled-back "the hung deploy's record"
  grep -q "stopped at its deadline of 3s (deploy.deadlines.release)" "$DIR/hung.out" ||
    die "the deploy does not say the release passed its deadline: $(cat "$DIR/hung.out")"
  pgrep -f "sleep 600" >/dev/null && die "the hung step's process group is still running"
  expect "$(served)" v1 "the release served after the rollback"
  PASSED+=(deadline)
fi

# ---- interrupted: killed after the gate went read-only, before the record said so -------------
if [[ interrupted =~ $ONLY ]]; then
  command -v sqlite3 >/dev/null || die "sqlite3 not found"
  scenario interrupted
  write_config
  start_gate
  deploy v1 "$V1_PORT" && expect "$code" 0 "v1 deploy"
  # What `kill -9` leaves when it lands after `gate read-only on` returned and before the phase's
  # end was saved: the gate read-only, the record's hold-writes running, writes_held false.
  "$SLIPWAY" gate read-only on --config "$CONFIG" >/dev/null
  sqlite3 "$DIR/.slipway/state.db" "INSERT INTO deploys (id, kind, version, status, started_at, record) VALUES
    ('d-killed', 'deploy', 'v2', 'running', '2026-12-07T10:00:00Z', '{\"id\":\"d-killed\",\"kind\":\"deploy\",
    \"version\":\"v2\",\"status\":\"running\",\"pid\":999999,\"host\":\"$(hostname)\",
    \"started_at\":\"2026-12-07T10:00:00Z\",\"phases\":[{\"name\":\"check\",\"status\":\"ok\"},
    {\"name\":\"lint\",\"status\":\"ok\"},{\"name\":\"hold-writes\",\"status\":\"running\"},
    {\"name\":\"snapshot\",\"status\":\"pending\"}],\"state\":{\"maintenance_on\":false,
    \"writes_held\":false}}')"
  run_slipway status
  expect "$code" 1 "slipway status with the killed deploy"
  APP_PORT=$V2_PORT run_slipway rollback
  expect "$code" 0 "exit code of the rollback of the killed deploy: $(cat "$OUT")"
  # Regression: the undo trusted writes_held (false) and left the gate read-only for good.
  expect "$(gate_mode)" normal "the gate's mode after the rollback of the killed deploy"
  [[ ,$(record rollback), == *",undo hold-writes:ok,"* ]] || die "the rollback did not let the writes go: $(record rollback)"
  PASSED+=(interrupted)
fi

# ---- adopt: the first deploy of an app that already runs ------------------------------------
if [[ adopt =~ $ONLY ]]; then
  scenario adopt
  write_config
  # What ran before Slipway: the schema migrated and v1 started by hand.
  run_slipway migrate apply
  expect "$code" 0 "migrate apply by hand"
  RUN_DIR=$DIR/by-hand "$NOTES/start.sh" v1 "$V1_PORT" >/dev/null
  start_gate
  expect "$(served)" v1 "the app served before Slipway"
  cp "$NOTES/migrations/002_note_tags.sql" "$DIR/migrations/"
  BROKEN=1 deploy v2 "$V2_PORT"
  expect "$code" 1 "exit code of the first deploy (its verify fails)"
  IFS=$'\t' read -r status rollback served_before <<<"$(record status rollback served_before.answer)"
  expect "$status" rolled-back "the first deploy's record"
  expect "$served_before" "HTTP 200" "what served before, as recorded"
  [[ ,$rollback, == *",verify:ok,"* ]] || die "the rollback did not verify what served before: $rollback"
  expect "$(served)" v1 "the app served after the rollback"
  expect "$(gate_mode)" normal "the gate's mode after the rollback"
  kill -0 "$(cat "$DIR/by-hand/v1.pid")" || die "the app started by hand was stopped"
  [[ -e $DIR/run/v2.pid ]] && die "v2 still runs after the rollback"
  PASSED+=(adopt)
fi

# ---- docs: configured from docs/commands/deploy.md alone -------------------------------------
if [[ docs =~ $ONLY ]]; then
  scenario docs
  write_config
  (cd "$DIR" && git init -q -b main && git add -A && git -c user.email=t@example.com -c user.name=t commit -q -m init)
  start_gate
  # A newcomer's first command: the dry run says the deploy would start (a missing backup does not
  # block it: the deploy takes its own).
  APP_PORT=$V1_PORT run_slipway deploy --version v1 --dry-run
  [[ $code == 0 ]] || die "the dry run of the documented setup is not ready: $(cat "$OUT")"
  grep -q "backup-recent: no backup exists (the backup phase takes a verified one)" "$OUT" ||
    die "the dry run does not say why the missing backup does not block: $(cat "$OUT")"
  deploy v1 "$V1_PORT"
  expect "$code" 0 "exit code of the v1 deploy"
  cp "$NOTES/migrations/002_note_tags.sql" "$DIR/migrations/"
  (cd "$DIR" && git add -A && git -c user.email=t@example.com -c user.name=t commit -q -m v2)
  deploy v2 "$V2_PORT"
  expect "$code" 0 "exit code of the v2 deploy: $(tail -n 20 "$OUT")"
  IFS=$'\t' read -r status migrations verify <<<"$(record status migrations_applied phases)"
  expect "$status/$migrations" succeeded/002_note_tags.sql "the v2 record"
  expect "$(served)" v2 "the release served after v2"
  [[ -e $DIR/run/v1.pid ]] && die "after_switch did not stop v1"
  PASSED+=(docs)
fi

echo
echo "deploy_stranger: ${#PASSED[@]} scenarios passed: ${PASSED[*]}"
((${#PASSED[@]} > 0)) || die "no scenario matched E2E_ONLY=$ONLY"
