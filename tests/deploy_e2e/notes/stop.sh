#!/usr/bin/env bash
# stop.sh VERSION: stops what start.sh VERSION started, and only that. No VERSION (the first
# deploy's $SLIPWAY_PREVIOUS_VERSION): nothing to stop.
set -euo pipefail
[[ -n ${1:-} ]] || exit 0
pid_file=${RUN_DIR:?RUN_DIR is not set}/$1.pid
[[ -f $pid_file ]] || exit 0
pid=$(cat "$pid_file")
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pid_file"
