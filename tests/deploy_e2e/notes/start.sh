#!/usr/bin/env bash
# start.sh VERSION PORT: starts the notes app as a daemon (its own session), pid in
# $RUN_DIR/VERSION.pid, and returns once /health answers (fails after 20 s).
set -euo pipefail
version=$1 port=$2
run_dir=${RUN_DIR:?RUN_DIR is not set}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$run_dir"
(
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
  done
  RELEASE=$version PORT=$port exec setsid node "$here/server.js" </dev/null >>"$run_dir/$version.log" 2>&1
) &
echo $! >"$run_dir/$version.pid"
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null && exit 0
  kill -0 "$(cat "$run_dir/$version.pid")" 2>/dev/null || break
  sleep 0.2
done
echo "start.sh: $version did not become healthy on $port" >&2
tail -n 5 "$run_dir/$version.log" >&2
exit 1
