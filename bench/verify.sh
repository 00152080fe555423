#!/usr/bin/env bash
# bench/verify.sh: `slipway verify perf` against wrk, in the same run.
#
#  1. nginx serves a small static file on 127.0.0.1; slipway (closed model) and wrk each run
#     at 64 connections with the same threads, alternating, ROUNDS times; medians of req/s.
#     Goal: slipway >= 0.9x wrk.
#  2. A target that stalls 1 s every 10 s (bench/stall_server.js): slipway's open model at a
#     constant rate against its closed model (and wrk's, which is closed too). The open model's
#     p99 must show the stall; the closed models hide it (coordinated omission).
#
# Installs nginx-light and wrk with apt-get when missing. Env: DURATION (10s), ROUNDS (3),
# THREADS (2), CONNECTIONS (64), STALL_DURATION (30s), RATE (2000), SLIPWAY (the binary).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SLIPWAY=${SLIPWAY:-$root/build/src/cli/slipway}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
STALL_DURATION=${STALL_DURATION:-30s}
RATE=${RATE:-2000}

need=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
if ((${#need[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[[ -x $SLIPWAY ]] || { echo "build slipway first: scripts/build.sh slipway" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-verify.XXXXXX")
chmod 755 "$work"
nginx_pid= stall_pid=
cleanup() {
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  [[ -n $stall_pid ]] && kill "$stall_pid" 2>/dev/null && wait "$stall_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
mkdir -p "$work/www" "$work/tmp"
printf 'hello from nginx\n' >"$work/www/index.html"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
/usr/sbin/nginx -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/index.html" >/dev/null 2>&1 && break; sleep 0.1; done
url="http://127.0.0.1:$port/index.html"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
json_field() { node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(eval("r."+process.argv[1]))' "$1"; }

echo "== closed model: $CONNECTIONS connections, $THREADS threads, $DURATION, $ROUNDS rounds, nginx static file"
: >"$work/slipway.rps"
: >"$work/wrk.rps"
for round in $(seq "$ROUNDS"); do
  s=$("$SLIPWAY" verify perf --url "$url" -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" --format json | json_field rps)
  w=$(wrk -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" "$url" | awk '/Requests\/sec/ {print $2}')
  printf '  round %s: slipway %.0f req/s, wrk %.0f req/s\n' "$round" "$s" "$w"
  echo "$s" >>"$work/slipway.rps"
  echo "$w" >>"$work/wrk.rps"
done
s=$(median <"$work/slipway.rps")
w=$(median <"$work/wrk.rps")
ratio=$(awk -v s="$s" -v w="$w" 'BEGIN {printf "%.3f", s / w}')
printf 'closed model: slipway %.0f req/s, wrk %.0f req/s (medians): ratio %s (goal >= 0.9)\n' "$s" "$w" "$ratio"

echo
echo "== a target that stalls 1 s every 10 s, $STALL_DURATION"
node "$root/bench/stall_server.js" 0 10000 1000 >"$work/stall.out" &
stall_pid=$!
for _ in $(seq 50); do grep -q ready "$work/stall.out" 2>/dev/null && break; sleep 0.1; done
stall_url="http://127.0.0.1:$(awk '{print $2}' "$work/stall.out")/"
open=$("$SLIPWAY" verify perf --url "$stall_url" -c 16 -t 1 -d "$STALL_DURATION" --rate "$RATE" --format json)
closed=$("$SLIPWAY" verify perf --url "$stall_url" -c 16 -t 1 -d "$STALL_DURATION" --format json)
wrk_out=$(wrk -c 16 -t 1 -d "$STALL_DURATION" --latency "$stall_url")
op99=$(json_field latency_ms.p99 <<<"$open")
cp99=$(json_field latency_ms.p99 <<<"$closed")
orps=$(json_field rps <<<"$open")
crps=$(json_field rps <<<"$closed")
wp99=$(awk '/^ +99%/ {print $2}' <<<"$wrk_out")
printf 'open model (%s req/s, 16 connections):   %.0f req/s, p99 %.1f ms\n' "$RATE" "$orps" "$op99"
printf 'closed model (16 connections):          %.0f req/s, p99 %.2f ms\n' "$crps" "$cp99"
printf 'wrk (closed, 16 connections):           p99 %s\n' "$wp99"
printf 'open p99 / closed p99: %.0fx (the stall is 10%% of the time: p99 should be near 900 ms)\n' \
  "$(awk -v o="$op99" -v c="$cp99" 'BEGIN {print o / c}')"
