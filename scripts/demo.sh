#!/usr/bin/env bash
# The demo: the whole deployment story of the example app (examples/loans), on embedded defaults.
#
#   make demo                        (or: scripts/demo.sh [--keep])
#   DEMO_ROWS=200000 scripts/demo.sh
#
# It sets up a local "production" in .demo/: a private PostgreSQL (scripts/pg-sandbox) with the
# app's database, Slipway's state in SQLite (.demo/state.db), backups in .demo/backups,
# `slipway gate run` on a free local port in front of the app, and a notification sink (a tiny
# Node server that records the deploy webhooks). Then, with the real `slipway deploy`:
#   1. deploys v1 into the empty database (its migration, then DEMO_ROWS loans of demo data);
#   2. upgrades to v2, every phase green, and measures the maintenance window;
#   3. tries v3: the lint blocks it (a dropped column, a table rewrite); forced with
#      --allow-dangerous, its verification fails (the v3 report bug) and the automatic rollback
#      stops v3, switches the gate back to v2, restores the database and verifies again.
# It prints the history and what the sink received. Nothing is left running unless --keep;
# .demo/ stays, so `slipway history --config .demo/slipway.toml --format json` works afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=0
for arg in "$@"; do
  case $arg in
    --keep) keep=1 ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "demo.sh: unknown argument $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

export DEMO_ROOT=$root
DEMO_DIR=$root/.demo
# shellcheck source=demo/common.sh
source "$root/scripts/demo/common.sh"
export SEED_ROWS=${DEMO_ROWS:-50000}
[[ -x $SLIPWAY ]] || bash "$root/scripts/build.sh" slipway
config=$DEMO_DIR/slipway.toml

color() { [[ -t 1 && -z ${NO_COLOR:-} ]]; }
bold() { if color; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi; }
show() {
  printf '$ %s\n' "$*" | sed "s|$root/build/src/cli/slipway|slipway|; s|$config|.demo/slipway.toml|g"
}
die() {
  printf '\ndemo: %s\n' "$*" >&2
  exit 1
}
# Runs `slipway ARGS...` (shown as typed), keeps its exit code in $code.
slipway() {
  show slipway "$@"
  set +e
  "$SLIPWAY" "$@"
  code=$?
  set -e
}
last_record() { "$SLIPWAY" history --config "$config" --format json | node -e '
  const h = JSON.parse(require("fs").readFileSync(0, "utf8")); const r = h.deploys[0];
  console.log(process.argv[1].split(",").map((k) => r[k] ?? "").join("\t"));' "$1"; }
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DIRECT_URL" -c "$1"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((keep)) && ((rc == 0)); then
    # PostgreSQL lives while its stdin is open: a detached holder keeps it so after we exit.
    sleep infinity >&"${PG[1]}" &
    echo $! >"$DEMO_DIR/run/pg-hold.pid"
    printf '%s\n' "${DEMO_PIDS[@]}" >"$DEMO_DIR/run/demo.pids"
    cat >"$DEMO_DIR/stop.sh" <<EOF
#!/usr/bin/env bash
# Stops what \`scripts/demo.sh --keep\` left running.
for f in "$DEMO_DIR"/run/v*.pid; do [[ -e \$f ]] && RUN_DIR="$DEMO_DIR/run" "$DEMO_APP/deploy/stop.sh" "\$(basename "\$f" .pid)"; done
kill \$(cat "$DEMO_DIR/run/demo.pids") 2>/dev/null
kill \$(cat "$DEMO_DIR/run/pg-hold.pid") 2>/dev/null
echo "demo stopped"
EOF
    chmod +x "$DEMO_DIR/stop.sh"
    bold "Still running (--keep): the gate on http://127.0.0.1:$GATE_PORT, v2 behind it, PostgreSQL at $DIRECT_URL"
    echo "Stop everything with .demo/stop.sh"
  else
    demo_stop_all
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$SECONDS
bold "== 0. A local production in .demo/"
if [[ -x $DEMO_DIR/stop.sh ]]; then "$DEMO_DIR/stop.sh" >/dev/null 2>&1 || true; fi
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/run"
if [[ ! -d $DEMO_APP/node_modules ]]; then
  echo "installing the example app's npm packages"
  (cd "$DEMO_APP" && npm ci --no-audit --no-fund --loglevel=error)
fi
demo_start_pg
demo_create_database loans
echo "PostgreSQL: $DIRECT_URL (owner), $DATABASE_URL (the app's role)"
demo_prepare_releases "$DEMO_DIR"
for v in v1 v2 v3; do echo "release $v ships: $(ls "$DEMO_DIR/releases/$v/migrations" | grep -v toml | tr '\n' ' ')"; done
demo_start_sink "$DEMO_DIR/notifications.jsonl"
demo_pick_ports
export NODE_ENV=production DEMO_PASSWORD=demo-password-1
JWT_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
export JWT_SECRET
demo_write_config "$config"
demo_start_gate "$config" "$DEMO_DIR/gate.log" "$DEMO_DIR/gate.sock"
echo "gate: http://127.0.0.1:$GATE_PORT (log .demo/gate.log); releases v1, v2, v3 on ports ${APP_PORTS[1]}, ${APP_PORTS[2]}, ${APP_PORTS[3]}"
echo "notification sink: http://127.0.0.1:$SINK_PORT (records in .demo/notifications.jsonl)"
echo "config: .demo/slipway.toml"

bold "== 1. Deploy v1 into the empty database"
demo_release_env v1
slipway deploy --version v1 --config "$config"
((code == 0)) || die "the v1 deploy exited $code"
echo "   $(sql "SELECT format('%s loans, %s members, %s repayments', (SELECT count(*) FROM loans), (SELECT count(*) FROM members), (SELECT count(*) FROM repayments))")"

bold "== 2. Upgrade to v2 (a safe, additive migration)"
demo_release_env v2
slipway deploy --version v2 --config "$config"
((code == 0)) || die "the v2 deploy exited $code"
curl -fsS "http://127.0.0.1:$GATE_PORT/health" | node -e '
  const h = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(`   through the gate: release ${h.release}, database ${h.database}`);'
# The maintenance window, from the record's phase durations: maintenance-on up to and including
# maintenance-off, against the migration alone.
window=$("$SLIPWAY" history --config "$config" --format json | node -e '
  const h = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const r = h.deploys.find((d) => d.version === "v2" && d.status === "succeeded");
  const names = r.phases.map((p) => p.name);
  const from = names.indexOf("maintenance-on"), to = names.indexOf("maintenance-off");
  const ms = (n) => (r.phases.find((p) => p.name === n) || {}).duration_ms || 0;
  const inside = r.phases.slice(from, to + 1);
  const total = inside.reduce((s, p) => s + (p.duration_ms || 0), 0);
  const parts = inside.map((p) => `${p.name} ${p.duration_ms} ms`).join(", ");
  console.log(`maintenance window of the v1 -> v2 deploy: ${total} ms in maintenance, of which ${ms("migrate")} ms migrating`);
  console.log(`   (${parts})`);')
echo "   $window"

bold "== 3. Try v3 (drops members.legacy_code, rewrites loans.amount to BIGINT)"
demo_release_env v3
slipway deploy --version v3 --config "$config"
((code == 1)) || die "the v3 deploy exited $code, expected 1 (blocked by the lint)"
IFS=$'\t' read -r status reason <<<"$(last_record status,reason)"
[[ $status == blocked ]] || die "the v3 deploy was recorded as '$status', expected 'blocked'"
echo "   recorded: $status ($reason)"

bold "== 4. Force v3 past the lint: its verification fails and the deploy rolls back"
slipway deploy --version v3 --allow-dangerous --config "$config"
((code == 1)) || die "the forced v3 deploy exited $code, expected 1 (rolled back)"
IFS=$'\t' read -r status reason <<<"$(last_record status,reason)"
[[ $status == rolled-back ]] || die "the forced v3 deploy was recorded as '$status', expected 'rolled-back'"
echo "   recorded: $status ($reason)"
release=$(curl -fsS "http://127.0.0.1:$GATE_PORT/health" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).release)')
amount_type=$(sql "SELECT data_type FROM information_schema.columns WHERE table_name = 'loans' AND column_name = 'amount'")
legacy=$(sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'members' AND column_name = 'legacy_code'")
echo "   the gate serves: $release; loans.amount is $amount_type; members.legacy_code $( ((legacy == 1)) && echo "is back" || echo "is missing")"
[[ $release == v2 && $amount_type == integer && $legacy == 1 ]] || die "v2 and its database were not restored"

bold "== 5. The history (slipway history --config .demo/slipway.toml [--format json])"
slipway history --config "$config"
notifications=$(grep -c . "$DEMO_DIR/notifications.jsonl" || true)
echo
echo "notification sink: $notifications webhook posts received (.demo/notifications.jsonl)"
echo "$window"
bold "Done in $((SECONDS - started))s."
