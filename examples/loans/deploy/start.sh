#!/usr/bin/env bash
# Starts one release of the loans app as a background daemon: the release step of a deploy.
#
#   deploy/start.sh VERSION PORT          # e.g. in slipway.toml:
#   [[deploy.steps]]
#   name = "start the app"
#   run = "deploy/start.sh $SLIPWAY_VERSION $APP_PORT"
#   rollback = "deploy/stop.sh $SLIPWAY_VERSION"
#
# Every release runs the same source (src/server.js) with RELEASE=VERSION, which switches the
# behaviour (v3 ships the report bug). The process gets its own session (setsid), so it outlives
# the step's shell and a timeout that stops the step's process group; its output goes to
# $RUN_DIR/VERSION.log and its pid to $RUN_DIR/VERSION.pid. The script returns once /health
# answers 200 on 127.0.0.1:PORT, and fails (stopping what it started) when it does not within
# $HEALTH_TIMEOUT seconds (default 30) or when the process exits.
#
# Blue/green: the release that serves now ($SLIPWAY_PREVIOUS_VERSION, set by slipway deploy) is
# left running so the gate can switch back to it; any older release still running is stopped.
# Starting a release that already runs healthy on the same port does nothing (slipway rollback
# re-runs the previous release's steps).
#
# Environment: DATABASE_URL, JWT_SECRET (required by the app), RUN_DIR (default ./.run),
# HEALTH_TIMEOUT, and whatever else the app reads (ACCESS_TOKEN_TTL...).
set -euo pipefail
usage() {
  echo "usage: deploy/start.sh VERSION PORT" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
version=$1
port=$2
[[ $version =~ ^v[0-9]+$ ]] || { echo "start.sh: VERSION must look like v1, v2... (got '$version')" >&2; exit 2; }
[[ $port =~ ^[0-9]+$ ]] || { echo "start.sh: PORT must be a number (got '$port')" >&2; exit 2; }
app=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run_dir=${RUN_DIR:-$PWD/.run}
timeout=${HEALTH_TIMEOUT:-30}
: "${DATABASE_URL:?start.sh: DATABASE_URL is not set}"
: "${JWT_SECRET:?start.sh: JWT_SECRET is not set}"
mkdir -p "$run_dir"
pid_file=$run_dir/$version.pid
log=$run_dir/$version.log
url=http://127.0.0.1:$port/health

# A zombie (exited, not yet reaped by this script) counts as gone.
alive() {
  local stat
  [[ -n ${1:-} ]] && stat=$(cat "/proc/$1/stat" 2>/dev/null) && [[ ${stat##*) } != Z* ]]
}
healthy() { curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; }

# Already running on this port and healthy: nothing to do.
if [[ -f $pid_file ]] && alive "$(cat "$pid_file")" && [[ $(cat "$run_dir/$version.port" 2>/dev/null) == "$port" ]] && healthy; then
  echo "$version already runs on 127.0.0.1:$port (pid $(cat "$pid_file"))"
  exit 0
fi
# Running, but elsewhere or unhealthy: replace it.
[[ -f $pid_file ]] && "$app/deploy/stop.sh" "$version"

# Keep the serving release (the gate may switch back to it); stop the older ones.
for other in "$run_dir"/*.pid; do
  [[ -e $other ]] || continue
  v=$(basename "$other" .pid)
  [[ $v == "$version" || $v == "${SLIPWAY_PREVIOUS_VERSION:-}" ]] && continue
  echo "stopping $v (neither this release nor the one serving)"
  "$app/deploy/stop.sh" "$v"
done

# Close every inherited descriptor above 2 in the child: a pipe held open by the daemon would
# keep whoever created it (a test harness, a coprocess) waiting.
(
  cd "$app"
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
  done
  RELEASE=$version PORT=$port HOST=127.0.0.1 exec setsid node src/server.js </dev/null >>"$log" 2>&1
) &
pid=$!
echo "$pid" >"$pid_file"
echo "$port" >"$run_dir/$version.port"
echo "started $version on 127.0.0.1:$port (pid $pid, log $log)"

deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
  if ! alive "$pid"; then
    rm -f "$pid_file" "$run_dir/$version.port"
    echo "start.sh: $version exited at start-up; the end of its log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  if healthy; then
    echo "$version is healthy: $url"
    exit 0
  fi
  sleep 0.2
done
echo "start.sh: $version did not answer $url within ${timeout}s; stopping it" >&2
tail -n 20 "$log" >&2
"$app/deploy/stop.sh" "$version" >&2
exit 1
