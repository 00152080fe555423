#!/usr/bin/env bash
# End-to-end tests of `slipway deploy`, `rollback` and `status`: the real binary over the example
# app (examples/loans), on a private PostgreSQL, with `slipway gate run` in front of the app and a
# notification sink, as the demo sets them up (scripts/demo/common.sh). Each scenario gets its own
# database, state, backups and gate:
#
#   success      v1 then v2, every phase ok, hook variables, webhooks; `slipway rollback` to v1
#   v3           the lint blocks v3 (recorded blocked, nothing changed); forced, its verify fails
#                and the rollback restores v2 and the database (legacy_code back, amount integer)
#   step-fails   a release step exits 1: the earlier steps' rollbacks ran, v1 serves, DB restored
#   rollback-fails  ... and a rollback command fails too: rollback-failed, gate left in maintenance
#   lock         two deploys at once: the second exits 1 naming the holder
#   lease        a lock row whose holder runs on another host: refused while its lease runs, taken
#                over (saying the lease ran out) once it has run out
#   lostlock     a deploy whose lock is lost stops at its next phase boundary, recorded failed,
#                undoing nothing: `slipway lock release` during its slow release step; then a hung
#                deploy (SIGSTOP) whose short lease runs out is taken over by `deploy --resume`,
#                which records the takeover, and the hung one, woken up, stops before switch
#   pgstate      state.url on PostgreSQL: deploy, history, lock status from the shared database;
#                a second deploy exits 1 naming the holder; the holder killed -9, its session
#                ended, `deploy --resume` takes the lock over; the state password printed nowhere
#   kill-PHASE   kill -9 of the deploy while PHASE runs (each phase is held there by a stall:
#                PostgreSQL stopped, a table lock, a slow step, a busy gate, a slow webhook; a
#                busy gate armed once the phase before runs, for phases after one that asks the gate);
#                `slipway status` and the next deploy report the interrupted deploy, and
#                `deploy --resume` finishes it, taking the stale lock over
#   redaction    a secret in the environment, printed by a step, is in no output, record or file
#
# Environment: SLIPWAY (the binary), SEED_ROWS (default 200), E2E_ONLY (a regex of scenario
# names to run), KEEP_WORK=1 to keep the work folder.
set -euo pipefail

# shellcheck source=preamble.sh
source "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
export SEED_ROWS=${SEED_ROWS:-200}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/slipway-deploy-e2e.XXXXXX")
chmod 755 "$WORK"
SCENARIO=
HELD=()     # processes a stall started (psql sessions holding locks, blocking gate switches)
HELD_FDS=() # the stdin of each psql session holding a lock
PASSED=()

say() { printf '\n== %s\n' "$*"; }
die() {
  printf 'deploy_e2e [%s]: FAILED: %s\n' "$SCENARIO" "$*" >&2
  exit 1
}
expect() { # expect ACTUAL EXPECTED WHAT
  [[ $1 == "$2" ]] || die "$3: got '$1', expected '$2'"
}

stop_scenario() {
  demo_stop_releases
  if [[ -n ${DEMO_GATE_PID:-} ]]; then
    kill -CONT "$DEMO_GATE_PID" 2>/dev/null || true
    kill -TERM "$DEMO_GATE_PID" 2>/dev/null || true
    wait "$DEMO_GATE_PID" 2>/dev/null || true
    DEMO_GATE_PID=
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)) && [[ -n ${DEMO_DIR:-} ]]; then
    for f in "$DEMO_DIR"/*.out; do
      [[ -s $f ]] || continue
      printf '\n--- %s\n' "$f" >&2
      tail -n 40 "$f" >&2
    done
  fi
  if declare -F release_stalls >/dev/null; then release_stalls; fi
  if [[ -n ${DEMO_DIR:-} ]]; then stop_scenario; fi
  e2e_end "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

e2e_prepare

export NODE_ENV=production DEMO_PASSWORD=demo-password-1
JWT_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
# The secret of the redaction scenario: in the environment of every deploy, printed by a step.
E2E_API_TOKEN=e2e-$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
export JWT_SECRET E2E_API_TOKEN
export DEMO_SWITCH_TIMEOUT=10s DEMO_LOCK_TIMEOUT=30s

# Test steps after the app's own: one that records its hook variables (and prints the secret),
# with a rollback that records it ran and fails on demand; one that sleeps and fails on demand.
export DEMO_STEPS='
[[deploy.steps]]
name = "record the hook variables"
run = "echo \"$SLIPWAY_VERSION previous=$SLIPWAY_PREVIOUS_VERSION phase=$SLIPWAY_PHASE backup=$SLIPWAY_BACKUP_ID migrations=$SLIPWAY_MIGRATIONS id=$SLIPWAY_DEPLOY_ID\" >> \"$E2E_MARKS/ran\"; echo \"calling the API with token $E2E_API_TOKEN\""
rollback = "echo \"$SLIPWAY_VERSION undone\" >> \"$E2E_MARKS/undone\"; test \"${E2E_FAIL_ROLLBACK:-0}\" != 1"

[[deploy.steps]]
name = "warm the caches"
run = "sleep ${E2E_STEP_SLEEP:-0}; test \"${E2E_FAIL_STEP:-0}\" != 1"
'

say "starting a private PostgreSQL and the notification sink"
demo_start_pg
export SINK_SLOW_FILE=$WORK/sink-slow
demo_start_sink "$WORK/notifications.jsonl"
echo "PostgreSQL: $PG_ADMIN_URL; sink on 127.0.0.1:$SINK_PORT"

# A fresh deployment for scenario $1: database, release folders, gate, slipway.toml.
scenario() {
  SCENARIO=$1
  [[ -n ${DEMO_DIR:-} ]] && stop_scenario
  DEMO_DIR=$WORK/$1
  mkdir -p "$DEMO_DIR/run" "$DEMO_DIR/marks"
  export E2E_MARKS=$DEMO_DIR/marks
  local db=${1//-/_}
  demo_create_database "$db"
  demo_prepare_releases "$DEMO_DIR"
  demo_pick_ports
  SINK_PATH=/hooks/$1 demo_write_config "$DEMO_DIR/slipway.toml"
  CONFIG=$DEMO_DIR/slipway.toml
  demo_start_gate "$CONFIG" "$DEMO_DIR/gate.log" "$DEMO_DIR/gate.sock"
  RUNS=0
  say "scenario $1"
}

# deploy ARGS...: `slipway deploy --config CONFIG ARGS...`, output in $OUT, exit code in $code.
# The version is taken from --version for RELEASE_DIR and APP_PORT.
deploy() {
  demo_release_env "$1"
  shift
  run_slipway deploy --version "${RELEASE_DIR##*/}" "$@"
}

# record FIELD...: the newest record's fields (tab-separated; arrays joined with commas).
history_json() { "$SLIPWAY" history --config "$CONFIG" --format json; }
record() {
  history_json | node -e '
    const h = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const r = h.deploys[0] || {};
    const get = (k) => { const v = k.split(".").reduce((o, p) => (o == null ? o : o[p]), r);
      return Array.isArray(v) ? v.map((x) => (typeof x === "object" ? x.name + ":" + x.status : x)).join(",") : v ?? ""; };
    console.log(process.argv.slice(1).map(get).join("\t"));' "$@"
}
phase_of() { # phase_of NAME: its status in the newest record
  history_json | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8")).deploys[0] || {phases: []};
    console.log((r.phases.find((p) => p.name === process.argv[1]) || {}).status || "absent");' "$1"
}
# slow_deploy VERSION SECONDS OUT: a deploy in the background (pid in SLOW_PID) whose release
# steps each sleep SECONDS; returns once its release phase runs.
slow_deploy() {
  E2E_STEP_SLEEP=$2 "$SLIPWAY" deploy --version "$1" --config "$CONFIG" >"$3" 2>&1 &
  SLOW_PID=$!
  for _ in $(seq 1 300); do
    [[ $(phase_of release) == running ]] && break
    sleep 0.1
  done
  expect "$(phase_of release)" running "the first deploy reached its release phase"
}
gate_field() { "$SLIPWAY" gate status --config "$CONFIG" --format json | node -e '
  console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]] ?? "");' "$1"; }
served_release() {
  curl -fsS --max-time 5 "http://127.0.0.1:$GATE_PORT/health" | node -e '
    console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).release ?? "");'
}
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DIRECT_URL" -c "$1"; }
column_type() { sql "SELECT data_type FROM information_schema.columns WHERE table_name = '$1' AND column_name = '$2'"; }
table_exists() { sql "SELECT to_regclass('public.$1') IS NOT NULL"; }
running() { [[ -f $DEMO_DIR/run/$1.pid ]] && kill -0 "$(cat "$DEMO_DIR/run/$1.pid")" 2>/dev/null; }
webhooks() { grep -c "\"path\":\"/hooks/$SCENARIO\"" "$WORK/notifications.jsonl" || true; }

# ---- success ----------------------------------------------------------------------------------
if [[ success =~ $ONLY ]]; then
  scenario success
  deploy v1
  expect "$code" 0 "exit code of the v1 deploy"
  IFS=$'\t' read -r version status phases <<<"$(record version status phases)"
  expect "$version/$status" v1/succeeded "the v1 record"
  for p in check lint snapshot backup maintenance-on migrate release switch verify maintenance-off; do
    [[ ,$phases, == *",$p:ok,"* ]] || die "phase $p is not ok in the v1 record: $phases"
  done
  # Notifications: this build's notify phase may not send yet (it then says it is skipped).
  NOTIFY=$([[ ,$phases, == *",notify:skipped,"* ]] && echo skipped || echo on)
  [[ $NOTIFY == on && ,$phases, != *",notify:ok,"* ]] && die "phase notify is not ok in the v1 record: $phases"
  expect "$(served_release)" v1 "release served through the gate after v1"
  expect "$(sql 'SELECT count(*) > 0 FROM loans')" t "the demo data was loaded"
  # The verify phase ran in maintenance mode without an admin identity (the demo configures no
  # admin.ips and no admin_writes): its smoke flows passed the gate with the deploy's one-time
  # bypass, which is revoked once the deploy ends.
  verify_summary=$(history_json | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8")).deploys[0];
    console.log(r.phases.find((p) => p.name === "verify").summary);')
  [[ $verify_summary == *"through the gate's deploy bypass"* ]] || die "the v1 verify phase did not use the bypass: $verify_summary"
  expect "$(gate_field bypass_tokens)" 0 "bypass tokens left at the gate after the v1 deploy"
  deploy v2
  expect "$code" 0 "exit code of the v2 deploy"
  IFS=$'\t' read -r version status migrations backup <<<"$(record version status migrations_applied backup_id)"
  expect "$version/$status" v2/succeeded "the v2 record"
  expect "$migrations" 20260201000000_report_sessions "migrations applied by v2"
  [[ -n $backup ]] || die "the v2 record has no backup id"
  expect "$(served_release)" v2 "release served through the gate after v2"
  expect "$(gate_field mode)" normal "gate mode after v2"
  hook=$(tail -n 1 "$E2E_MARKS/ran")
  [[ $hook == "v2 previous=v1 phase=release backup=$backup migrations=20260201000000_report_sessions id="?* ]] ||
    die "hook variables of the v2 step: $hook"
  running v1 || die "the serving release v1 was stopped before the switch to v2 (no way back)"
  [[ $NOTIFY == skipped ]] && echo "NOTE: the notify phase is skipped in this build: no webhook assertions"
  [[ $NOTIFY == skipped ]] || (($(webhooks) >= 4)) || die "the sink got $(webhooks) webhooks for two deploys, expected start and success of each"
  demo_release_env v1
  run_slipway rollback
  expect "$code" 0 "exit code of slipway rollback"
  IFS=$'\t' read -r kind version status <<<"$(record kind version status)"
  expect "$kind/$version/$status" rollback/v1/succeeded "the rollback record"
  expect "$(served_release)" v1 "release served after slipway rollback"
  PASSED+=(success)
fi

# ---- v3: lint block, then verify fails and the rollback restores v2 and the database --------
if [[ v3 =~ $ONLY ]]; then
  scenario v3
  deploy v1 && expect "$code" 0 "v1 deploy"
  deploy v2 && expect "$code" 0 "v2 deploy"
  deploy v3
  expect "$code" 1 "exit code of the v3 deploy (the lint blocks it)"
  IFS=$'\t' read -r version status phases <<<"$(record version status phases)"
  expect "$version/$status" v3/blocked "the v3 record"
  [[ ,$phases, == *",lint:failed,"* ]] || die "the lint phase did not fail: $phases"
  expect "$(column_type members legacy_code)" text "members.legacy_code after the blocked deploy"
  running v3 && die "v3 was started although the lint blocked it"
  deploy v3 --allow-dangerous
  expect "$code" 1 "exit code of the forced v3 deploy (verify fails, rolled back)"
  IFS=$'\t' read -r version status phases rollback <<<"$(record version status phases rollback)"
  expect "$version/$status" v3/rolled-back "the forced v3 record"
  [[ ,$phases, == *",migrate:ok,"* && ,$phases, == *",verify:failed,"* ]] ||
    die "the forced v3 deploy should have migrated and failed its verify: $phases"
  [[ -n $rollback ]] || die "the record has no rollback steps"
  expect "$(column_type members legacy_code)" text "members.legacy_code after the rollback (restored)"
  expect "$(column_type loans amount)" integer "loans.amount after the rollback (restored)"
  # Regression: the restore recreated schema public without its default USAGE for PUBLIC, and the
  # app's role found no table at all.
  expect "$(psql -X -q -A -t "$DATABASE_URL" -c 'SELECT count(*) > 0 FROM users' 2>&1)" t "the app's role reads users after the restore"
  expect "$(served_release)" v2 "release served after the rollback"
  expect "$(gate_field mode)" normal "gate mode after the rollback"
  running v3 && die "v3 still runs after the rollback"
  grep -q "is a string, not a number" "$OUT" || die "the deploy's report does not say what failed (the report totals are strings)"
  PASSED+=(v3)
fi

# ---- a release step fails; then its rollback fails too --------------------------------------
if [[ step-fails =~ $ONLY ]]; then
  scenario step-fails
  deploy v1 && expect "$code" 0 "v1 deploy"
  E2E_FAIL_STEP=1 deploy v2
  expect "$code" 1 "exit code of a deploy whose step fails"
  IFS=$'\t' read -r status phases <<<"$(record status phases)"
  expect "$status" rolled-back "status of a deploy whose step fails"
  [[ ,$phases, == *",release:failed,"* ]] || die "the release phase did not fail: $phases"
  grep -q "^v2 undone" "$E2E_MARKS/undone" || die "the rollback of the earlier step did not run"
  running v2 && die "v2 still runs: the app step's rollback (deploy/stop.sh) did not run"
  expect "$(served_release)" v1 "release served after the failed step"
  expect "$(gate_field mode)" normal "gate mode after the rollback"
  expect "$(table_exists report_sessions)" f "report_sessions after the rollback (the database restored)"
  PASSED+=(step-fails)

  SCENARIO=rollback-fails
  E2E_FAIL_STEP=1 E2E_FAIL_ROLLBACK=1 deploy v2
  expect "$code" 1 "exit code of a deploy whose rollback fails"
  IFS=$'\t' read -r status maintenance <<<"$(record status state.maintenance_on)"
  expect "$status" rollback-failed "status of a deploy whose rollback fails"
  expect "$maintenance" true "the record says maintenance is on"
  expect "$(gate_field mode)" maintenance "gate mode after a failed rollback (users stay out)"
  grep -qi "maintenance" "$OUT" || die "the report does not say the gate stays in maintenance"
  PASSED+=(rollback-fails)
fi

# ---- lock contention ----------------------------------------------------------------------------
if [[ lock =~ $ONLY ]]; then
  scenario lock
  deploy v1 && expect "$code" 0 "v1 deploy"
  demo_release_env v2
  slow_deploy v2 20 "$DEMO_DIR/first.out"
  first=$SLOW_PID
  deploy v2
  expect "$code" 1 "exit code of a second deploy while the first holds the lock"
  grep -q "$first" "$OUT" || grep -qi "$(id -un)@" "$OUT" || die "the second deploy does not name the holder: $(cat "$OUT")"
  wait "$first" || die "the first deploy failed: $(tail -n 20 "$DEMO_DIR/first.out")"
  expect "$(record status)" succeeded "the first deploy, after the contention"
  PASSED+=(lock)
fi

# ---- lease expiry (SQLite state): a holder on another host counts as alive until its lease ends -----
lock_json() { # lock_json FIELD: a field of `slipway lock status --format json` ("" when free)
  "$SLIPWAY" lock status --config "$CONFIG" --format json | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(String((s.lock || {})[process.argv[1]] ?? ""));' "$1"
}
if [[ lease =~ $ONLY ]]; then
  command -v sqlite3 >/dev/null || die "sqlite3 not found"
  scenario lease
  "$SLIPWAY" lock status --config "$CONFIG" >/dev/null # creates the state file
  now_ms=$(($(date +%s) * 1000))
  # What a deploy from a CI runner that hung leaves: its pid cannot be checked from here.
  sqlite3 "$DEMO_DIR/state.db" "INSERT INTO deploy_lock (name, holder, host, pid, deploy_id, message, acquired_ms,
    expires_ms) VALUES ('deploy', 'ci@ci-runner-2', 'ci-runner-2', 4242, 'd-hung', 'deploy v0',
    $((now_ms - 900000)), $((now_ms + 600000)))"
  deploy v1
  expect "$code" 1 "exit code of a deploy while another host's lease runs"
  grep -q "ci@ci-runner-2" "$OUT" || die "the refused deploy does not name the holder: $(cat "$OUT")"
  expect "$(lock_json deploy_id)" d-hung "the lock after the refused deploy"
  sqlite3 "$DEMO_DIR/state.db" "UPDATE deploy_lock SET expires_ms = $((now_ms - 300000))"
  stale=$(lock_json stale)
  [[ $stale == "its lease ran out 5min"*" ago" ]] || die "slipway lock status of the expired lock: stale '$stale'"
  deploy v1
  expect "$code" 0 "exit code of the deploy after the lease ran out"
  grep -q "took over a stale deploy lock from ci@ci-runner-2 (its lease ran out" "$OUT" ||
    die "the deploy does not say it took the expired lock over: $(cat "$OUT")"
  expect "$(record version status)" "v1	succeeded" "the deploy that took the lock over"
  expect "$(record lock_takeover.deploy_id lock_takeover.pid)" "d-hung	4242" "the takeover in its record"
  expect "$(lock_json deploy_id)" "" "the lock after that deploy (released)"
  PASSED+=(lease)
fi

# ---- a deploy that loses its lock stops; a takeover is recorded -------------------------------
if [[ lostlock =~ $ONLY ]]; then
  scenario lostlock
  # A 2 s lease, so a hung deploy's runs out within the scenario; no maintenance, so what a stopped
  # deploy leaves does not keep the next one's verify out.
  sed -i 's/^maintenance = "maintenance"$/maintenance = "off"\nlock_lease = "2s"/' "$CONFIG"
  grep -q '^lock_lease = "2s"$' "$CONFIG" || die "deploy.lock_lease was not set in $CONFIG"
  record_of() { # record_of ID FIELD: a field of that deploy's record
    "$SLIPWAY" history "$1" --config "$CONFIG" --format json | node -e '
      const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const v = process.argv[1].split(".").reduce((o, p) => (o == null ? o : o[p]), r);
      console.log(Array.isArray(v) ? v.map((x) => x.name + ":" + x.status).join(",") : String(v ?? ""));' "$2"
  }
  # in_last_step N: wait until the Nth v2 deploy ran the step that records its hook variables, so
  # it is in its last (slow) step.
  in_last_step() {
    for _ in $(seq 1 300); do
      (($(grep -c '^v2 ' "$E2E_MARKS/ran" 2>/dev/null || true) >= $1)) && break
      sleep 0.1
    done
    (($(grep -c '^v2 ' "$E2E_MARKS/ran") >= $1)) || die "deploy $1 of v2 did not reach its last release step"
    sleep 0.5
  }
  deploy v1 && expect "$code" 0 "v1 deploy"

  # 1. `slipway lock release` while the deploy runs its slow release step.
  demo_release_env v2
  E2E_STEP_SLEEP=3 "$SLIPWAY" deploy --version v2 --config "$CONFIG" >"$DEMO_DIR/released.out" 2>&1 &
  first=$!
  in_last_step 1
  run_slipway lock release
  expect "$code" 0 "slipway lock release during the deploy"
  set +e
  wait "$first"
  rc=$?
  set -e
  expect "$rc" 1 "exit code of the deploy whose lock was released"
  grep -q 'the deploy lock was removed (`slipway lock release`) while this deploy ran; stopped before switch' \
    "$DEMO_DIR/released.out" || die "the stopped deploy does not say why: $(cat "$DEMO_DIR/released.out")"
  grep -q "no rollback was run" "$DEMO_DIR/released.out" || die "the stopped deploy does not say it undid nothing"
  grep -q "slipway history d-" "$DEMO_DIR/released.out" || die "the stopped deploy does not say what to do next"
  IFS=$'\t' read -r id status stopped rollback <<<"$(record id status lock_lost.stopped_before rollback)"
  expect "$status/$stopped/$rollback" failed/switch/ "the record of the stopped deploy (status/stopped before/rollback)"
  [[ $(record reason) == *"removed (\`slipway lock release\`) while this deploy ran; stopped before switch" ]] ||
    die "the record's reason: $(record reason)"
  for p in switch verify maintenance-off; do expect "$(phase_of "$p")" pending "phase $p of the stopped deploy"; done
  expect "$(phase_of release)" ok "phase release of the stopped deploy (its step finished)"
  [[ -s $E2E_MARKS/undone ]] && die "a rollback command ran for the stopped deploy"
  expect "$(served_release)" v1 "release served after the stopped deploy (no switch)"
  "$SLIPWAY" history "$id" --config "$CONFIG" | grep -q "lock lost: the deploy lock was removed" ||
    die "slipway history $id does not show the lost lock"

  # 2. A hung deploy (SIGSTOP) past its lease: `deploy --resume` takes it over and records so.
  E2E_STEP_SLEEP=2 "$SLIPWAY" deploy --version v2 --config "$CONFIG" >"$DEMO_DIR/hung.out" 2>&1 &
  hung=$!
  in_last_step 2
  kill -STOP "$hung"
  sleep 2.5 # its 2 s lease runs out
  E2E_STEP_SLEEP=3 "$SLIPWAY" deploy --version v2 --resume --config "$CONFIG" >"$DEMO_DIR/resume.out" 2>&1 &
  resume=$!
  for _ in $(seq 1 100); do
    [[ $(lock_json pid) == "$resume" ]] && break
    sleep 0.1
  done
  expect "$(lock_json pid)" "$resume" "the lock's holder once the resume started"
  kill -CONT "$hung"
  set +e
  wait "$hung"
  rc=$?
  set -e
  expect "$rc" 1 "exit code of the hung deploy, woken up after the takeover"
  grep -q "the deploy lock was taken over by .* (pid $resume, deploy d-.*) while this deploy ran; stopped before" \
    "$DEMO_DIR/hung.out" || die "the hung deploy does not name who took its lock: $(cat "$DEMO_DIR/hung.out")"
  grep -Eq ' switch +[0-9]+\.[0-9]s ' "$DEMO_DIR/hung.out" && die "the hung deploy ran switch after losing its lock"
  grep -q "rolling back" "$DEMO_DIR/hung.out" && die "the hung deploy rolled back after losing its lock"
  wait "$resume" || die "the resumed deploy failed: $(tail -n 20 "$DEMO_DIR/resume.out")"
  IFS=$'\t' read -r status holder pid reason <<<"$(record status lock_takeover.holder lock_takeover.pid lock_takeover.reason)"
  expect "$status/$pid" "succeeded/$hung" "the resumed deploy's record (status/pid of the lock it took over)"
  [[ $holder == *@* && $reason == "its lease ran out"* ]] || die "lock_takeover of the resumed deploy: $holder, $reason"
  "$SLIPWAY" history --config "$CONFIG" --format markdown | grep -q "took over the stale deploy lock of .* (pid $hung" ||
    die "the markdown history does not show the takeover"
  expect "$(served_release)" v2 "release served after the resumed deploy"
  [[ -s $E2E_MARKS/undone ]] && die "a rollback command ran"
  PASSED+=(lostlock)
fi

# ---- state.url on PostgreSQL: one lock and one history for every machine --------------------
if [[ pgstate =~ $ONLY ]]; then
  scenario pgstate
  STATE_PASSWORD=e2e-state-$RANDOM$RANDOM
  psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c "CREATE ROLE pgstate_deployer LOGIN PASSWORD '$STATE_PASSWORD'" \
    -c "CREATE DATABASE pgstate_state OWNER pgstate_deployer"
  state_base=${PG_ADMIN_URL%/*}
  STATE_URL="${state_base/postgres@/pgstate_deployer:$STATE_PASSWORD@}/pgstate_state"
  sed -i "s|^url = \"state.db\"\$|url = \"$STATE_URL\"|" "$CONFIG"
  grep -q "pgstate_state" "$CONFIG" || die "state.url was not set in $CONFIG"
  state_sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$STATE_URL" -c "$1"; }

  deploy v1
  expect "$code" 0 "exit code of the v1 deploy with state in PostgreSQL"
  expect "$(record version status)" "v1	succeeded" "the v1 record, read back from PostgreSQL"
  expect "$(state_sql 'SELECT count(*) FROM slipway.deploys')" 1 "records in slipway.deploys"
  expect "$(state_sql 'SELECT count(*) FROM slipway.verify_snapshots')" 1 "integrity snapshots in PostgreSQL"
  [[ -e $DEMO_DIR/state.db ]] && die "a SQLite state file was written although state.url is PostgreSQL"
  run_slipway lock status
  expect "$code" 0 "slipway lock status"
  grep -q "the deploy lock is free" "$OUT" || die "lock status after the deploy: $(cat "$OUT")"

  demo_release_env v2
  slow_deploy v2 60 "$DEMO_DIR/first.out"
  first=$SLOW_PID
  expect "$(lock_json pid)" "$first" "the holder's pid in lock status"
  [[ $(lock_json backend) =~ ^[0-9]+$ ]] || die "lock status does not show the holder's database session"
  expect "$(lock_json stale)" "" "the live lock's staleness"
  deploy v2
  expect "$code" 1 "exit code of a second deploy while the first holds the lock"
  grep -q "(pid $first)" "$OUT" || die "the second deploy does not name the holder: $(cat "$OUT")"

  kill -9 "$first"
  wait "$first" 2>/dev/null || true
  for _ in $(seq 1 50); do
    [[ $(lock_json stale) == "its database session ended" ]] && break
    sleep 0.1
  done
  expect "$(lock_json stale)" "its database session ended" "lock status after the holder was killed"
  deploy v2 --resume
  expect "$code" 0 "deploy --resume after the holder was killed"
  grep -q "took over a stale deploy lock from .*(its database session ended)" "$OUT" ||
    die "the resumed deploy does not say the holder's session ended: $(cat "$OUT")"
  expect "$(record version status)" "v2	succeeded" "the resumed deploy"
  expect "$(served_release)" v2 "release served after the resumed deploy"
  leaks=$(grep -l -- "$STATE_PASSWORD" "$DEMO_DIR"/*.out || true)
  [[ -z $leaks ]] || die "the state database's password was printed in: $leaks"
  history_json | grep -q -- "$STATE_PASSWORD" && die "the history shows the state database's password"
  PASSED+=(pgstate)
fi

# ---- kill -9 at every phase -------------------------------------------------------------------
# Each stall holds the deploy in one phase long enough to kill it there; arm_<phase> runs when the
# deploy starts (or when the phase before is running, for stalls that would block earlier phases).
pg_postmaster() { head -n 1 "$(psql -X -q -A -t "$PG_ADMIN_URL" -c 'SHOW data_directory')/postmaster.pid"; }
hold_lock() { hold_lock_sql "LOCK TABLE $1 IN $2 MODE"; } # hold_lock TABLE MODE
# hold_lock_sql SQL: a session runs SQL in a transaction and keeps it open (its locks held) until
# release_stalls ends it; HOLD_PID is its psql.
hold_lock_sql() {
  local in=$WORK/lock-in.$RANDOM out=$WORK/lock-out.$RANDOM w r line
  mkfifo "$in" "$out"
  psql -X -q -A -t -v ON_ERROR_STOP=1 "$DIRECT_URL" <"$in" >"$out" 2>&1 &
  HOLD_PID=$!
  HELD+=("$HOLD_PID")
  exec {w}>"$in"
  HELD_FDS+=("$w")
  echo "BEGIN; $1; SELECT 'locked';" >&"$w"
  exec {r}<"$out"
  while read -r line <&"$r" && [[ $line != locked ]]; do :; done
  exec {r}<&-
  rm -f "$in" "$out"
  [[ $line == locked ]] || die "could not hold a lock ($1): $line"
}
busy_gate() { # a switch to a port nobody answers: the gate serves control commands one at a time
  "$SLIPWAY" gate switch 127.0.0.1:9 --config "$CONFIG" >/dev/null 2>&1 &
  HELD+=($!)
  sleep 0.3
}
STOPPED_PG=
release_stalls() {
  [[ -n $STOPPED_PG ]] && kill -CONT "$STOPPED_PG" 2>/dev/null
  STOPPED_PG=
  rm -f "$SINK_SLOW_FILE"
  local pid fd
  for fd in "${HELD_FDS[@]}"; do
    if [[ -e /proc/$$/fd/$fd ]]; then exec {fd}>&-; fi
  done
  HELD_FDS=()
  for pid in "${HELD[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${HELD[@]}"; do wait "$pid" 2>/dev/null || true; done
  HELD=()
  return 0
}
# phase -> "WHEN:STALL|WHEN:STALL...": each STALL runs when WHEN is "start" or that phase is running.
declare -A STALL=(
  [check]="start:stop_postgres"
  [lint]="start:hold_lock users ACCESS\ EXCLUSIVE"
  [snapshot]="start:hold_advisory"
  [backup]="start:hold_advisory|snapshot:hold_lock audit_log ACCESS\ EXCLUSIVE; release_advisory"
  [hold-writes]="start:hold_lock users ACCESS\ EXCLUSIVE; LINT_LOCK=\$HOLD_PID|lint:busy_gate; release_pid \$LINT_LOCK"
  [maintenance-on]="start:hold_advisory|snapshot:hold_lock audit_log ACCESS\ EXCLUSIVE; DUMP_LOCK=\$HOLD_PID; release_advisory|backup:busy_gate; release_pid \$DUMP_LOCK"
  [migrate]="start:hold_lock users ACCESS\ SHARE"
  [release]="start:export E2E_STEP_SLEEP=60"
  [switch]="start:export E2E_STEP_SLEEP=2|release:busy_gate"
  [verify]="release:hold_lock unions ACCESS\ EXCLUSIVE"
  [maintenance-off]="verify:busy_gate"
  [notify]="verify:touch \"\$SINK_SLOW_FILE\""
)
stop_postgres() { STOPPED_PG=$(pg_postmaster) && kill -STOP "$STOPPED_PG"; }
# The integrity snapshot counts e2e_stall (kill scenarios add it to [verify.integrity] tables), a
# view that waits while the test holds advisory lock 4242 (nothing else in the deploy reads it).
create_stall_view() {
  sql "CREATE FUNCTION e2e_wait() RETURNS int LANGUAGE plpgsql AS \$\$
       BEGIN PERFORM pg_advisory_lock_shared(4242); PERFORM pg_advisory_unlock_shared(4242); RETURN 1; END \$\$;
       CREATE VIEW e2e_stall AS SELECT e2e_wait() AS x;" >/dev/null
}
hold_advisory() { hold_lock_sql "SELECT pg_advisory_lock(4242)"; ADVISORY_PID=$HOLD_PID; }
# Ending the session (not closing its stdin: processes started since inherited that) releases it.
release_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
release_advisory() { release_pid "$ADVISORY_PID"; }

kill_at() {
  local phase=$1 pid status stage when
  local -a stages
  IFS='|' read -r -a stages <<<"${STALL[$1]}"
  DEMO_INTEGRITY_EXTRA='"e2e_stall"' scenario "kill-$phase"
  create_stall_view
  deploy v1 && expect "$code" 0 "v1 deploy"
  if [[ $phase == notify && ,$(record phases), == *",notify:skipped,"* ]]; then
    echo "NOTE: this build's notify phase sends nothing (skipped at once), so it cannot be held: not run"
    return 0
  fi
  demo_release_env v2
  local next=0
  while ((next < ${#stages[@]})) && [[ ${stages[next]%%:*} == start ]]; do
    eval "${stages[next]#*:}"
    next=$((next + 1))
  done
  "$SLIPWAY" deploy --version v2 --config "$CONFIG" >"$DEMO_DIR/killed.out" 2>&1 &
  pid=$!
  unset E2E_STEP_SLEEP
  for _ in $(seq 1 600); do
    if ((next < ${#stages[@]})); then
      when=${stages[next]%%:*}
      if [[ $(phase_of "$when") == running ]]; then
        eval "${stages[next]#*:}"
        next=$((next + 1))
      fi
    fi
    status=$(phase_of "$phase")
    [[ $status == running ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ $status == running ]] || {
    release_stalls
    die "the deploy never showed phase $phase running (it is $status): $(tail -n 20 "$DEMO_DIR/killed.out")"
  }
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  release_stalls
  echo "killed the deploy (pid $pid) in phase $phase"
  local id
  id=$(record id)
  status=$(record status)
  [[ $status == running || $status == interrupted ]] || die "the killed deploy's record says '$status'"
  run_slipway status --format json
  expect "$code" 1 "slipway status after a kill in $phase (an interrupted deploy)"
  expect "$(node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const d = (s.interrupted || {}).deploy || {};
    const p = (d.phases || []).find((x) => x.name === process.argv[2]) || {};
    console.log(`${d.id}/${p.status}`);' "$OUT" "$phase")" "$id/running" "slipway status: the interrupted deploy and the phase it was in"
  deploy v2
  expect "$code" 1 "a plain deploy after an interrupted one"
  grep -qi "interrupted" "$OUT" || die "the next deploy does not report the interrupted one: $(cat "$OUT")"
  grep -q -- "--resume" "$OUT" || die "the next deploy does not offer --resume: $(cat "$OUT")"
  deploy v2 --resume
  expect "$code" 0 "deploy --resume after a kill in $phase"
  grep -qi "stale" "$OUT" || die "the resumed deploy does not say it took over a stale lock: $(cat "$OUT")"
  expect "$(record status)" succeeded "the resumed deploy"
  expect "$(served_release)" v2 "release served after the resumed deploy"
  expect "$(gate_field mode)" normal "gate mode after the resumed deploy"
  expect "$(table_exists report_sessions)" t "the v2 migration after the resumed deploy"
  PASSED+=("kill-$phase")
}
for phase in check lint hold-writes snapshot backup maintenance-on migrate release switch verify maintenance-off notify; do
  [[ kill-$phase =~ $ONLY ]] && kill_at "$phase"
done

# ---- redaction -------------------------------------------------------------------------------
# Every scenario above ran with E2E_API_TOKEN in the environment and a step that printed it.
SCENARIO=redaction
if ((${#PASSED[@]} > 0)); then
  say "redaction: $E2E_API_TOKEN must appear nowhere"
  leaks=$(grep -rl --exclude='*.log' --exclude-dir=run --exclude-dir=marks --exclude-dir=releases -a -- "$E2E_API_TOKEN" "$WORK" || true)
  [[ -z $leaks ]] || die "the secret leaked into: $leaks"
  # The step did print it (so the check above means something): the redacted form is in a record.
  found=0
  for d in "$WORK"/*/; do
    [[ -f $d/slipway.toml ]] || continue
    CONFIG=$d/slipway.toml
    history_json | grep -q "calling the API with token \*\*\*" && found=1
  done
  ((found)) || die "no record kept the step's output with the secret masked"
  for d in "$WORK"/*/; do
    [[ -f $d/slipway.toml ]] || continue
    CONFIG=$d/slipway.toml
    "$SLIPWAY" history --config "$CONFIG" --format markdown | grep -q -- "$E2E_API_TOKEN" && die "the markdown history of $d leaks it"
  done
  PASSED+=(redaction)
fi

echo
echo "deploy_e2e: ${#PASSED[@]} scenarios passed: ${PASSED[*]}"
