# Shared by scripts/demo.sh and tests/deploy_e2e/run.sh (sourced, not run): the pieces of a local
# production for examples/loans that `slipway deploy` drives.
#
#   demo_start_pg                 a private PostgreSQL (scripts/pg-sandbox), sets PG_ADMIN_URL
#   demo_create_database NAME     roles NAME (owner: migrations, backups) and NAME_app (the app,
#                                 least privilege), sets DATABASE_URL and DIRECT_URL
#   demo_prepare_releases DIR     DIR/releases/vN/migrations: the migrations release vN ships
#   demo_start_sink FILE          the notification sink, sets SINK_PORT
#   demo_start_gate CONFIG        `slipway gate run`, waits for its control socket
#   demo_write_config FILE        the slipway.toml of the deployment (see the variables it reads)
#   demo_release_env vN           RELEASE_DIR and APP_PORT for a deploy of vN
#   demo_stop_releases            stops the apps (the releases under DEMO_DIR/run)
#   demo_stop_all                 stops the apps, the gate, the sink and PostgreSQL
#
# Releases: every version runs the same source (RELEASE=vN switches the behaviour), but a deploy
# of vN must only see the migrations up to releases/vN.json's last_migration, as a checkout of
# that release would. So each release gets a folder of copies, and slipway.toml points at the one
# being deployed: `[migrations] dir = "${RELEASE_DIR}/migrations"`, expanded when slipway loads
# the file (the deploy's own subcommands inherit RELEASE_DIR). Each release listens on its own
# port (demo_pick_ports) so the one serving keeps serving while the next one starts (the gate
# switches between them).

DEMO_ROOT=${DEMO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DEMO_APP=$DEMO_ROOT/examples/loans
SLIPWAY=${SLIPWAY:-$DEMO_ROOT/build/src/cli/slipway}
DEMO_PIDS=()

demo_free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# The caller must not have PG set. Closing ${PG[1]} (or exiting) stops the server.
demo_start_pg() {
  coproc PG { exec bash "$DEMO_ROOT/scripts/pg-sandbox"; }
  local ready
  read -r ready PG_ADMIN_URL <&"${PG[0]}" || return 3
  [[ $ready == ready ]] || return 3
  DEMO_PG_PID=$PG_PID
}

# Least privilege as the checklist asks: NAME owns the database and runs migrations, backups and
# restores (DIRECT_URL); NAME_app is what the app connects as (DATABASE_URL), with SELECT, INSERT,
# UPDATE, DELETE on the tables and USAGE, SELECT on the sequences NAME creates.
demo_create_database() {
  local name=$1 base=${PG_ADMIN_URL%/*}
  psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" \
    -c "CREATE ROLE $name LOGIN" -c "CREATE ROLE ${name}_app LOGIN" -c "CREATE DATABASE $name OWNER $name"
  psql -X -q -v ON_ERROR_STOP=1 "$base/$name" \
    -c "ALTER DEFAULT PRIVILEGES FOR ROLE $name IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${name}_app" \
    -c "ALTER DEFAULT PRIVILEGES FOR ROLE $name IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${name}_app"
  DIRECT_URL="${base/postgres@/$name@}/$name"
  DATABASE_URL="${base/postgres@/${name}_app@}/$name"
  export DATABASE_URL DIRECT_URL
}

# DIR/releases/vN/migrations for each examples/loans/releases/vN.json.
demo_prepare_releases() {
  local dir=$1 json version last m
  for json in "$DEMO_APP"/releases/v*.json; do
    version=$(basename "$json" .json)
    last=$(node -e 'console.log(require(process.argv[1]).last_migration)' "$json")
    rm -rf "$dir/releases/$version"
    mkdir -p "$dir/releases/$version/migrations"
    cp "$DEMO_APP/prisma/migrations/migration_lock.toml" "$dir/releases/$version/migrations/"
    for m in "$DEMO_APP"/prisma/migrations/*/; do
      m=$(basename "$m")
      [[ $m > $last ]] && continue
      cp -r "$DEMO_APP/prisma/migrations/$m" "$dir/releases/$version/migrations/"
    done
  done
}

# node notify-sink.js FILE in the background; SINK_PORT once it listens.
demo_start_sink() {
  local file=$1 fifo line
  fifo=$(mktemp -u "${TMPDIR:-/tmp}/slipway-sink.XXXXXX")
  mkfifo "$fifo"
  node "$DEMO_ROOT/scripts/demo/notify-sink.js" "$file" >"$fifo" 2>&1 &
  DEMO_PIDS+=($!)
  read -r line <"$fifo"
  rm -f "$fifo"
  [[ $line == listening\ * ]] || { echo "the notification sink did not start: $line" >&2; return 3; }
  SINK_PORT=${line#listening }
}

# `slipway gate run --config CONFIG` in the background, logging to LOG; waits for its socket.
demo_start_gate() {
  local config=$1 log=$2 socket=$3
  "$SLIPWAY" gate run --config "$config" >"$log" 2>&1 &
  DEMO_GATE_PID=$!
  DEMO_PIDS+=("$DEMO_GATE_PID")
  for _ in $(seq 1 100); do
    [[ -S $socket ]] && "$SLIPWAY" gate status --config "$config" >/dev/null 2>&1 && return 0
    kill -0 "$DEMO_GATE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the gate did not start; its log:" >&2
  tail -n 20 "$log" >&2
  return 3
}

# Ports: the gate's, its admin listener's and one per release (vN listens on APP_PORTS[N]), each
# a distinct free port of 127.0.0.1 when this runs.
demo_pick_ports() {
  local taken=" " p json ports=()
  while ((${#ports[@]} < 2 + $(ls "$DEMO_APP"/releases/v*.json | wc -l))); do
    p=$(demo_free_port)
    [[ $taken == *" $p "* ]] && continue
    taken+="$p "
    ports+=("$p")
  done
  GATE_PORT=${ports[0]}
  GATE_ADMIN_PORT=${ports[1]}
  APP_PORTS=()
  p=2
  for json in "$DEMO_APP"/releases/v*.json; do
    json=$(basename "$json" .json)
    APP_PORTS[${json#v}]=${ports[p]}
    p=$((p + 1))
  done
}
demo_app_port() { echo "${APP_PORTS[${1#v}]}"; }

# What a deploy (or rollback) of vN needs in its environment.
demo_release_env() {
  export RELEASE_DIR=$DEMO_DIR/releases/$1 APP_PORT
  APP_PORT=$(demo_app_port "$1")
}

# The deployment's slipway.toml. Reads DEMO_DIR (where state, backups, the gate's socket and the
# apps' pid files and logs live), the ports of demo_pick_ports, SINK_PORT, and
# DEMO_STEPS (extra [[deploy.steps]] TOML appended after the app's own step; tests use it).
demo_write_config() {
  local file=$1
  cat >"$file" <<EOF
# The deployment of examples/loans that scripts/demo.sh (or tests/deploy_e2e) set up: a private
# PostgreSQL, the gate on 127.0.0.1:$GATE_PORT in front of the app, state in state.db here.
# Written by scripts/demo/common.sh; paths are relative to this file.
[project]
name = "loans"

[database]
url = "\${DATABASE_URL}"          # the app's role, least privilege
direct_url = "\${DIRECT_URL}"     # the owner: migrations, backups and restores

# The release being deployed brings its migrations (see scripts/demo/common.sh).
[migrations]
dir = "\${RELEASE_DIR:-releases/v1}/migrations"
format = "prisma"
lock_timeout = "${DEMO_LOCK_TIMEOUT:-5s}"

[lint]
fail_on = "dangerous"

[backup]
repository = "backups"
compression = "zstd:3"
keep = { last = 10 }

[gate]
listen = "127.0.0.1:$GATE_PORT"
upstream = "127.0.0.1:${APP_PORTS[1]}"
control_socket = "gate.sock"
admin_listen = "127.0.0.1:$GATE_ADMIN_PORT"
allow = ["/api/auth/login"]
switch_timeout = "${DEMO_SWITCH_TIMEOUT:-30s}"
drain_timeout = "5s"
# Who gets through during maintenance: a token with role ADMIN (reads only). The deploy's own
# verification (smoke flows of every role, writes included) needs no admin identity: it passes
# the gate with a one-time token the deploy registers and revokes (docs/commands/deploy.md).
# Behind nginx on this host, add trusted_proxies = ["127.0.0.1"] before any admin.ips.
[gate.admin]
jwt_secret = "\${JWT_SECRET}"
claim = "role"
values = ["ADMIN"]

[verify]
base_url = "http://127.0.0.1:$GATE_PORT"
flows = ["$DEMO_APP/verify/smoke.toml"]

[verify.integrity]
tables = ["users", "unions", "members", "loans", "repayments"${DEMO_INTEGRITY_EXTRA:+, $DEMO_INTEGRITY_EXTRA}]
may_grow = ["unions", "members", "loans", "repayments"]
checksums = { users = ["id", "email", "role"] }

[verify.websocket]
url = "/ws/events?token={{token}}"
login_flow = "login admin"
thresholds = ["p(95) < 100ms"]

[check]
preset = "node-postgres"
# The repository's secrets scan and git state belong to the project's CI; this deployment runs
# from a working copy (and the repository carries test fixtures that look like secrets). The
# deploy takes its own pre-deploy backup, so no earlier one is required.
skip = ["git-clean", "git-branch", "git-pushed", "git-repository"]

[check.secrets]
enabled = false

[check.backup]
enabled = false

[check.env.JWT_SECRET]
secret = true
min_bytes = 32
required = true

[check.database]
min_version = 14

[deploy]
maintenance = "maintenance"
# v3 drops a column and changes a type: a rollback must restore the pre-deploy backup.
restore_on_rollback = true
upstream = "127.0.0.1:\${APP_PORT:-${APP_PORTS[1]}}"
health_timeout = "30s"

# The first deploy finds an empty database: this loads the demo data once (SEED_ROWS loans).
[[deploy.steps]]
name = "load the demo data into an empty database"
run = "deploy/seed-if-empty.sh"
cwd = "$DEMO_APP"
timeout = "10min"

[[deploy.steps]]
name = "start the release"
run = "deploy/start.sh \$SLIPWAY_VERSION \$APP_PORT"
rollback = "deploy/stop.sh \$SLIPWAY_VERSION"
cwd = "$DEMO_APP"
timeout = "60s"
env = { RUN_DIR = "$DEMO_DIR/run" }
${DEMO_STEPS:-}
[notify]
webhook = "http://127.0.0.1:$SINK_PORT${SINK_PATH:-/hooks/deploy}"

[state]
url = "state.db"
EOF
}

# Stops every release started by deploy/start.sh under DEMO_DIR/run.
demo_stop_releases() {
  local f
  for f in "$DEMO_DIR"/run/*.pid; do
    [[ -e $f ]] || continue
    RUN_DIR=$DEMO_DIR/run "$DEMO_APP/deploy/stop.sh" "$(basename "$f" .pid)" >/dev/null 2>&1 || true
  done
}

# Stops the releases, then what demo_* started.
demo_stop_all() {
  demo_stop_releases
  local pid
  for pid in "${DEMO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${DEMO_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  DEMO_PIDS=()
  if [[ -n ${DEMO_PG_PID:-} ]]; then
    # bash unsets PG (and closes its descriptors) once the coprocess has exited.
    if [[ -n ${PG[1]:-} ]]; then exec {PG[1]}>&-; fi
    wait "$DEMO_PG_PID" 2>/dev/null || true
    DEMO_PG_PID=
  fi
}
