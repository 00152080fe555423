#!/usr/bin/env bash
# Stops one release of the loans app started by deploy/start.sh: the rollback of the release step.
#
#   deploy/stop.sh VERSION
#
# SIGTERM (the app finishes its requests and closes its pool), then SIGKILL after
# $STOP_TIMEOUT seconds (default 10). A release that is not running is not an error.
# Environment: RUN_DIR (default ./.run), as for start.sh.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: deploy/stop.sh VERSION" >&2; exit 2; }
version=$1
run_dir=${RUN_DIR:-$PWD/.run}
pid_file=$run_dir/$version.pid
timeout=${STOP_TIMEOUT:-10}

if [[ ! -f $pid_file ]]; then
  echo "$version is not running (no $pid_file)"
  exit 0
fi
pid=$(cat "$pid_file")
if ! kill -0 "$pid" 2>/dev/null; then
  echo "$version is not running (pid $pid is gone)"
  rm -f "$pid_file" "$run_dir/$version.port"
  exit 0
fi
kill -TERM "$pid"
deadline=$((SECONDS + timeout))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  echo "$version (pid $pid) did not stop within ${timeout}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file" "$run_dir/$version.port"
echo "stopped $version (pid $pid)"
