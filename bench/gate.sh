#!/usr/bin/env bash
# bench/gate.sh: `slipway gate` against nginx, measured in the same run with wrk.
#
#   (a) the backend directly: nginx returning a small body
#   (b) nginx proxy_pass to it (upstream keepalive, the headers the gate sets)
#   (c) slipway gate to it
#   (d) a second gate process, the same binary and config: the A/A control
# at 1, 64 and 256 connections; then maintenance mode's 503 against nginx `return 503`; then the
# memory of the gate and of the nginx proxy holding 1,000 idle keep-alive connections; then the
# instructions each spends per proxied request, counted by callgrind.
# Each wrk measurement runs in BENCH_REPEAT rounds (default 7), the contenders taking turns in a
# random order each round. On a small shared machine one run says more about the neighbours than
# about the proxy, so req/s and p99 are the medians of the rounds, and a gate/nginx ratio is the
# median of the ratios within each round, with the middle half of them shown: how much the rounds
# disagree. The second gate measures that disagreement directly: it is the same program, so its
# ratio to the first (A/A) shows how far apart two equal contenders land in this run, and a
# gate/nginx ratio within that distance of 1 is not a difference. Instruction counts do not depend
# on the neighbours at all.
# Everything listens on 127.0.0.1, on ports picked at run time. Prints req/s, p99 and ratios, and
# writes them to bench/gate-results.md (or $1).
#
#   bench/gate.sh                  # BENCH_SECONDS=5 per run, BENCH_REPEAT=7 rounds by default
#   BENCH_SECONDS=2 BENCH_REPEAT=1 bench/gate.sh /tmp/out.md
#   BENCH_CONNS="1 64" bench/gate.sh /tmp/out.md   # fewer connection counts
#   BENCH_LAYOUTS=1 bench/gate.sh                  # also one connection in each placement on the cores
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/bench/gate-results.md}
seconds=${BENCH_SECONDS:-5}
repeat=${BENCH_REPEAT:-7}
threads=${BENCH_THREADS:-$(nproc)}   # nginx worker processes and gate threads alike

nginx=/usr/sbin/nginx
if [ ! -x "$nginx" ] || ! command -v wrk >/dev/null 2>&1 || ! command -v callgrind_control >/dev/null 2>&1; then
  "$root/scripts/setup.sh" --bench
fi
[ -x "$root/build/src/cli/slipway" ] || "$root/scripts/build.sh" slipway >/dev/null
slipway=$root/build/src/cli/slipway
ulimit -n 65536 2>/dev/null || true

work=$(mktemp -d /tmp/slipway-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on $1" >&2
  exit 3
}

backend_port=$(free_port)
proxy_port=$(free_port)
nginx503_port=$(free_port)
gate_port=$(free_port)
gate_admin_port=$(free_port)
twin_port=$(free_port)
twin_admin_port=$(free_port)

nginx_common="daemon off; pid $work/NAME.pid; error_log $work/NAME.err warn;"
temp_paths="client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;"
mkdir -p "$work/tmp"

cat >"$work/backend.conf" <<EOF
${nginx_common//NAME/backend}
worker_processes $threads;
events { worker_connections 10000; }
http {
  access_log off; $temp_paths
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$backend_port reuseport backlog=4096;
    location / { default_type text/plain; return 200 "hello from the backend\n"; }
  }
}
EOF
proxy_location='location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }'
cat >"$work/proxy.conf" <<EOF
${nginx_common//NAME/proxy}
worker_processes $threads;
events { worker_connections 10000; }
http {
  access_log off; $temp_paths
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:$backend_port; keepalive 128; }
  server {
    listen 127.0.0.1:$proxy_port reuseport backlog=4096;
    $proxy_location
  }
  server {
    listen 127.0.0.1:$nginx503_port reuseport backlog=4096;
    location / { default_type application/json; add_header Retry-After 300 always;
      return 503 '{"error":"maintenance","message":"We are updating the service.","retry_after":300}'; }
  }
}
EOF
gate_config() {  # file port admin-port control-socket
  cat >"$1" <<EOF
[gate]
listen = "127.0.0.1:$2"
upstream = "127.0.0.1:$backend_port"
admin_listen = "127.0.0.1:$3"
control_socket = "$4"
threads = $threads
message = "We are updating the service."
EOF
}
gate_config "$work/slipway.toml" "$gate_port" "$gate_admin_port" gate.sock
gate_config "$work/twin.toml" "$twin_port" "$twin_admin_port" twin.sock

"$nginx" -p "$work" -c "$work/backend.conf" & pids+=($!)
"$nginx" -p "$work" -c "$work/proxy.conf" & pids+=($!)
"$slipway" gate run --config "$work/slipway.toml" 2>"$work/gate.err" & gate_pid=$!
pids+=("$gate_pid")
"$slipway" gate run --config "$work/twin.toml" 2>"$work/twin.err" & twin_pid=$!
pids+=("$twin_pid")
for p in $backend_port $proxy_port $nginx503_port $gate_port $twin_port; do wait_port "$p"; done
nginx_pids() { cat "$work/$1.pid"; pgrep -P "$(cat "$work/$1.pid")"; }  # backend|proxy: master and workers

# wrk's p99 in microseconds, and its req/s.
to_us() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'
}
declare -A rps p99 runs_rps runs_p99
measure() {  # name url connections [tag]: one run, kept in runs_*[name,connections tag]
  local name=$1 url=$2 c=$3 key=$3${4:-} t log
  t=$((c < threads ? c : threads))
  log=$work/wrk-$name-$key.txt
  taskset -c "${wrk_cpus:-0-$(($(nproc) - 1))}" wrk -t"$t" -c"$c" -d"${seconds}s" --latency "$url" >"$log" 2>&1
  local r l errors
  r=$(awk '/Requests\/sec:/ { printf "%d", $2 }' "$log")
  l=$(to_us "$(awk '$1 == "99%" { print $2 }' "$log")")
  runs_rps[$name,$key]+="$r "
  runs_p99[$name,$key]+="$l "
  errors=$(awk '/Non-2xx or 3xx responses|Socket errors/ { print }' "$log" | tr '\n' ' ')
  printf 'bench: %-14s c=%-4s %9s req/s  p99 %8s us  %s\n' "$name" "$key" "$r" "$l" "$errors" >&2
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
summarize() {  # name connections: the medians of its runs
  rps[$1,$2]=$(echo "${runs_rps[$1,$2]}" | median)
  p99[$1,$2]=$(echo "${runs_p99[$1,$2]}" | median)
}

# Each round runs the contenders in a new random order: a fixed order would give each the same
# neighbour before it every time.
declare -A url=([backend]="http://127.0.0.1:$backend_port/" [nginx]="http://127.0.0.1:$proxy_port/"
  [gate]="http://127.0.0.1:$gate_port/" [nginx-503]="http://127.0.0.1:$nginx503_port/"
  [gate-503]="http://127.0.0.1:$gate_port/" [twin]="http://127.0.0.1:$twin_port/"
  [twin-503]="http://127.0.0.1:$twin_port/")
read -r -a conns <<<"${BENCH_CONNS:-1 64 256}"
for c in "${conns[@]}"; do
  for _ in $(seq "$repeat"); do
    for name in $(printf '%s\n' backend nginx gate twin | shuf); do
      measure "$name" "${url[$name]}" "$c"
    done
  done
  for name in backend nginx gate twin; do summarize "$name" "$c"; done
done

# One connection with the processes pinned. At one connection a request passes wrk, the proxy and
# the backend in turn, and where the kernel places those three on two cores decides the rate more
# than the proxy does: one core for all three runs three times as fast as a proxy alone on its
# core. The kernel moves them between layouts during a run, so a run's rate is partly the luck of
# its layouts. BENCH_LAYOUTS=1 also measures each layout with the placement fixed (taskset), the
# contenders taking turns as above.
declare -A layout_cpus=([L1]="0 0 1" [L2]="0 1 1" [L3]="0 1 0" [L4]="0 0 0")  # wrk proxy backend
declare -A layout_name=([L1]="wrk + proxy, backend" [L2]="wrk, proxy + backend" [L3]="wrk + backend, proxy"
  [L4]="all three on one core")
layouts=()
if [ "${BENCH_LAYOUTS:-0}" = 1 ] && [ "$(nproc)" -ge 2 ]; then layouts=(L1 L2 L3 L4); fi
pin() {  # cpu-list pid...: every thread of each process
  local cpu=$1 p
  shift
  for p in "$@"; do taskset -a -p -c "$cpu" "$p" >/dev/null; done
}
for layout in "${layouts[@]}"; do
  read -r wrk_cpu proxy_cpu backend_cpu <<<"${layout_cpus[$layout]}"
  # shellcheck disable=SC2046
  pin "$proxy_cpu" $(nginx_pids proxy) "$gate_pid" "$twin_pid"
  # shellcheck disable=SC2046
  pin "$backend_cpu" $(nginx_pids backend)
  for _ in $(seq "$repeat"); do
    for name in $(printf '%s\n' nginx gate twin | shuf); do
      wrk_cpus=$wrk_cpu measure "$name" "${url[$name]}" 1 "$layout"
    done
  done
  for name in nginx gate twin; do summarize "$name" "1$layout"; done
done
# shellcheck disable=SC2046
[ ${#layouts[@]} -eq 0 ] || pin "0-$(($(nproc) - 1))" $(nginx_pids proxy) "$gate_pid" "$twin_pid" $(nginx_pids backend)
for config in slipway twin; do
  "$slipway" gate maintenance on --config "$work/$config.toml" --retry-after 5min >/dev/null
done
for c in "${conns[@]}"; do
  for _ in $(seq "$repeat"); do
    for name in $(printf '%s\n' nginx-503 gate-503 twin-503 | shuf); do
      measure "$name" "${url[$name]}" "$c"
    done
  done
  for name in nginx-503 gate-503 twin-503; do summarize "$name" "$c"; done
done
for config in slipway twin; do
  "$slipway" gate maintenance off --config "$work/$config.toml" >/dev/null
done

# Memory at 1,000 idle keep-alive connections: each makes one request, then stays open.
rss_kb() {  # the summed VmRSS of a process and its children
  local total=0 p
  for p in "$@"; do
    total=$((total + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo $total
}
hold_idle() {  # port count -> holds until killed; prints "ready" once all connections are idle
  exec python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"\n"):
        data += s.recv(4096)
    socks.append(s)
print("ready", flush=True)
time.sleep(3600)
PY
}
idle_rss() {  # port pids... -> "before after" in kB
  local port=$1; shift
  local before after holder
  before=$(rss_kb "$@")
  coproc HOLD { hold_idle "$port" 1000; }
  holder=$HOLD_PID
  read -r _ <&"${HOLD[0]}"
  sleep 1
  after=$(rss_kb "$@")
  kill "$holder" 2>/dev/null || true
  wait "$holder" 2>/dev/null || true
  echo "$before $after"
}
read -r gate_rss0 gate_rss1 < <(idle_rss "$gate_port" "$gate_pid")
# shellcheck disable=SC2046
read -r nginx_rss0 nginx_rss1 < <(idle_rss "$proxy_port" $(nginx_pids proxy))
echo "bench: RSS at 1,000 idle keep-alive connections: gate ${gate_rss1} kB (from ${gate_rss0}), nginx proxy ${nginx_rss1} kB (from ${nginx_rss0})" >&2

# Instructions per proxied request: one nginx worker (no master) and a one-thread gate, each under
# callgrind, each driven by wrk -c16 for 5 s after the counters were zeroed. User space only (the
# kernel's share, the same work for both, is not counted); the same binary and load give the same
# count whatever else runs on the machine.
ir_per_request() {  # port pid-under-callgrind out-file -> instructions per request
  local port=$1 pid=$2 file=$3 log requests ir
  log=$work/wrk-cg-$port.txt
  for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  callgrind_control -z "$pid" >/dev/null
  wrk -t1 -c16 -d5s "http://127.0.0.1:$port/" >"$log" 2>&1
  callgrind_control -d "$pid" >/dev/null
  sleep 1
  requests=$(awk '/requests in/ { print $1 }' "$log")
  ir=$(awk '/^summary:/ { print $2 }' "$(ls -t "$file"* | head -n 1)")
  awk -v i="$ir" -v r="$requests" 'BEGIN { printf "%d", i / r }'
}
cg_nginx_port=$(free_port)
cg_gate_port=$(free_port)
cg_admin_port=$(free_port)
cat >"$work/cg.conf" <<EOF
${nginx_common//NAME/cg}
master_process off;
worker_processes 1;
events { worker_connections 10000; }
http {
  access_log off; $temp_paths
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:$backend_port; keepalive 128; }
  server {
    listen 127.0.0.1:$cg_nginx_port;
    $proxy_location
  }
}
EOF
cat >"$work/cg.toml" <<EOF
[gate]
listen = "127.0.0.1:$cg_gate_port"
upstream = "127.0.0.1:$backend_port"
admin_listen = "127.0.0.1:$cg_admin_port"
control_socket = "cg.sock"
threads = 1
EOF
valgrind --tool=callgrind --callgrind-out-file="$work/nginx.cg" "$nginx" -p "$work" -c "$work/cg.conf" 2>/dev/null &
cg_pid=$!
pids+=("$cg_pid")
nginx_ir=$(ir_per_request "$cg_nginx_port" "$cg_pid" "$work/nginx.cg")
kill "$cg_pid"
valgrind --tool=callgrind --callgrind-out-file="$work/gate.cg" "$slipway" gate run --config "$work/cg.toml" 2>/dev/null &
cg_pid=$!
pids+=("$cg_pid")
gate_ir=$(ir_per_request "$cg_gate_port" "$cg_pid" "$work/gate.cg")
kill "$cg_pid"
echo "bench: instructions per proxied request (callgrind): gate $gate_ir, nginx $nginx_ir" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
# gate/nginx within each round (the same minute of the machine), then the median of those ratios
# and, in brackets, the middle half of them: how far one round can be from another.
paired() {  # gate-runs nginx-runs
  python3 - "$1" "$2" <<'PY'
import statistics, sys
a, b = ([float(x) for x in arg.split()] for arg in sys.argv[1:3])
r = sorted(x / y for x, y in zip(a, b) if y > 0)
if not r:
    print("n/a")
elif len(r) < 4:
    print(f"{statistics.median(r):.2f}")
else:
    q = statistics.quantiles(r, n=4)
    print(f"{statistics.median(r):.2f} ({q[0]:.2f}-{q[2]:.2f})")
PY
}
{
  echo "# bench/gate.sh results"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $repeat rounds of ${seconds}s runs, nginx and gate with $threads workers/threads, $(nginx -v 2>&1 | sed 's/.*\///'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'). req/s and p99: the median of the rounds; gate/nginx: the median of the ratios within each round, the middle half of them in brackets. A/A: the same for a second gate process against the first, the same program: how far apart two equal contenders land in this run."
  echo
  echo "| connections | backend req/s | nginx proxy req/s | gate req/s | gate/nginx req/s | A/A req/s | backend p99 | nginx p99 | gate p99 | gate/nginx p99 | A/A p99 |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${conns[@]}"; do
    echo "| $c | ${rps[backend,$c]} | ${rps[nginx,$c]} | ${rps[gate,$c]} | $(paired "${runs_rps[gate,$c]}" "${runs_rps[nginx,$c]}") | $(paired "${runs_rps[twin,$c]}" "${runs_rps[gate,$c]}") | ${p99[backend,$c]} us | ${p99[nginx,$c]} us | ${p99[gate,$c]} us | $(paired "${runs_p99[gate,$c]}" "${runs_p99[nginx,$c]}") | $(paired "${runs_p99[twin,$c]}" "${runs_p99[gate,$c]}") |"
  done
  echo
  if [ ${#layouts[@]} -gt 0 ]; then
    echo "One connection with the placement fixed (taskset; core 0, core 1):"
    echo
    echo "| layout | nginx proxy req/s | gate req/s | gate/nginx req/s | A/A req/s | nginx p99 | gate p99 | gate/nginx p99 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for layout in "${layouts[@]}"; do
      k=1$layout
      echo "| ${layout_name[$layout]} | ${rps[nginx,$k]} | ${rps[gate,$k]} | $(paired "${runs_rps[gate,$k]}" "${runs_rps[nginx,$k]}") | $(paired "${runs_rps[twin,$k]}" "${runs_rps[gate,$k]}") | ${p99[nginx,$k]} us | ${p99[gate,$k]} us | $(paired "${runs_p99[gate,$k]}" "${runs_p99[nginx,$k]}") |"
    done
    echo
  fi
  echo "Maintenance 503:"
  echo
  echo "| connections | nginx \`return 503\` req/s | gate maintenance req/s | gate/nginx req/s | A/A req/s | nginx p99 | gate p99 | gate/nginx p99 | A/A p99 |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${conns[@]}"; do
    echo "| $c | ${rps[nginx-503,$c]} | ${rps[gate-503,$c]} | $(paired "${runs_rps[gate-503,$c]}" "${runs_rps[nginx-503,$c]}") | $(paired "${runs_rps[twin-503,$c]}" "${runs_rps[gate-503,$c]}") | ${p99[nginx-503,$c]} us | ${p99[gate-503,$c]} us | $(paired "${runs_p99[gate-503,$c]}" "${runs_p99[nginx-503,$c]}") | $(paired "${runs_p99[twin-503,$c]}" "${runs_p99[gate-503,$c]}") |"
  done
  echo
  echo "RSS with 1,000 idle keep-alive connections: gate ${gate_rss1} kB (${gate_rss0} kB before), nginx proxy (master + workers) ${nginx_rss1} kB (${nginx_rss0} kB before)."
  echo
  echo "User-space instructions per proxied request (callgrind, one worker each, wrk -c16): gate ${gate_ir}, nginx ${nginx_ir}, gate/nginx **$(ratio "$gate_ir" "$nginx_ir")**."
} >"$out"
cat "$out"
