#!/usr/bin/env bash
# What one request costs the server in CPU time, beside its throughput: the server as the launcher starts it (or with
# JAVA_OPTS), loaded by wrk with each input benchmarks/inputs.py generates, the server process's user + system time
# read from /proc/PID/stat over the measured window and divided by the requests answered. wrk shares the two cores,
# so requests/s moves with it; CPU per request moves less, which is why before/after comparisons of one build against
# another use it. The first row posts to /health, which refuses a POST without reading a model: the HTTP floor.
# Usage: benchmarks/cpu-per-request.sh [CHECKOUT]   (a built checkout, this one by default; LOAD_SECONDS=10,
#        WARMUP_SECONDS=5, CONNECTIONS=64; with the server compiler in JAVA_OPTS, WARMUP_SECONDS=15)
# Needs: wrk, python3, MNIST (DIGITS_DATA_DIR or ../shared/data/mnist).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
checkout="$(cd "${1:-$here}" && pwd)"
data="${DIGITS_DATA_DIR:-$here/../shared/data/mnist}"
load_seconds="${LOAD_SECONDS:-10}"
warmup_seconds="${WARMUP_SECONDS:-5}"
connections="${CONNECTIONS:-64}"
python=/usr/bin/python3
work="$(mktemp -d)"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

"$python" "$here/benchmarks/inputs.py" "$data" "$work" > /dev/null
port="$(free_port)"
# shellcheck source=start-launcher.sh
. "$here/benchmarks/start-launcher.sh"
start_launcher "$checkout" "$port" "$work/server.log"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores); $(date -u +%F); JAVA_OPTS=${JAVA_OPTS:-}"
echo
echo "| input | connections | req/s | p50 | p99 | server CPU per request |"
echo "|---|---:|---:|---:|---:|---:|"
ticks_per_second="$(getconf CLK_TCK)"
for row in "mnist.png image/png /health POST /health (HTTP floor)" "mnist.png image/png /api/v1/predict 28×28 PNG" \
           "canvas.png image/png /api/v1/predict 280×280 canvas PNG" "canvas-rgba.png image/png /api/v1/predict 280×280 canvas PNG, RGBA" \
           "pixels.json application/json /api/v1/predict JSON pixels"; do
  read -r file type route label <<<"$row"
  cat > "$work/post.lua" <<LUA
local f = io.open("$work/$file", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "$type"; wrk.path = "$route"
LUA
  wrk -t2 -c"$connections" -d"${warmup_seconds}s" -s "$work/post.lua" "http://127.0.0.1:$port" > /dev/null
  before="$(cpu_ticks "$pid")"
  wrk -t2 -c"$connections" -d"${load_seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port" > "$work/wrk.txt"
  after="$(cpu_ticks "$pid")"
  read -r requests rps p50 p99 <<<"$(awk '/requests in/ {n=$1} /Requests\/sec/ {r=$2} $1=="50%" {a=$2} $1=="99%" {b=$2} END {print n, r, a, b}' "$work/wrk.txt")"
  micros="$("$python" -c "print(round(($after - $before) / $ticks_per_second * 1e6 / $requests))")"
  echo "| $label | $connections | $rps | $p50 | $p99 | $micros µs |"
done
