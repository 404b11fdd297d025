#!/usr/bin/env bash
# Does tail latency on the JSON path come from the allocator? The server as the launcher starts it, loaded with the
# web app's Server-mode body (784 pixels as JSON) at 64 connections, twice: without GC logging, then with
# -Xlog:gc. The second run's log gives the collections during the measured window — how many, their total and
# longest pause, and the bytes each request left for the collector — to set beside the p99 of both runs.
# Usage: benchmarks/json-gc.sh   (LOAD_SECONDS=20, WARMUP_SECONDS=5, CONNECTIONS=64 by default; JAVA_OPTS is passed on)
# Needs: a built checkout (./mvnw install -DskipTests), wrk, python3; MNIST (DIGITS_DATA_DIR or ../shared/data/mnist).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DIGITS_DATA_DIR:-$here/../shared/data/mnist}"
load_seconds="${LOAD_SECONDS:-20}"
warmup_seconds="${WARMUP_SECONDS:-5}"
connections="${CONNECTIONS:-64}"
python=/usr/bin/python3
work="$(mktemp -d)"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$python" "$here/benchmarks/inputs.py" "$data" "$work" > /dev/null
cat > "$work/json.lua" <<LUA
local f = io.open("$work/pixels.json", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "application/json"; wrk.path = "/api/v1/predict"
LUA

run() {  # LABEL EXTRA_JAVA_OPTS -> prints a table row; leaves $work/wrk-LABEL.txt
  local label="$1" extra="$2" port
  port="$(free_port)"
  JAVA_OPTS="${JAVA_OPTS:-} $extra" "$here/serve/target/digits-server" --host 127.0.0.1 --port "$port" \
    > "$work/server-$label.log" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1; do sleep 0.2; done
  wrk -t2 -c"$connections" -d"${warmup_seconds}s" -s "$work/json.lua" "http://127.0.0.1:$port" > /dev/null
  wrk -t2 -c"$connections" -d"${load_seconds}s" --latency -s "$work/json.lua" "http://127.0.0.1:$port" > "$work/wrk-$label.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores); $(date -u +%F)"
run plain ""
run logged "-Xlog:gc:file=$work/gc.log:uptime"
"$python" - "$work" "$load_seconds" <<'PY'
import re, sys, os
work, seconds = sys.argv[1], float(sys.argv[2])
def wrk(label):
    t = open(os.path.join(work, f"wrk-{label}.txt")).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    lat = {m.group(1): m.group(2) for m in re.finditer(r"^\s+(50|90|99)%\s+(\S+)", t, re.M)}
    n = int(re.search(r"(\d+) requests in", t).group(1))
    return rps, lat, n
# -Xlog:gc with uptime: "[12.345s] GC(7) Pause Young (Allocation Failure) 20M->3M(30M) 1.234ms"
log = open(os.path.join(work, "gc.log")).read().splitlines()
pauses = []
for line in log:
    m = re.match(r"\[([\d.]+)s\].*Pause (\w+).*?(\d+)M->(\d+)M\(\d+M\) ([\d.]+)ms", line)
    if m: pauses.append((float(m.group(1)), int(m.group(3)), int(m.group(4)), float(m.group(5)), m.group(2)))
# The uptime of the window is not known to the script, only its length: take the collections of the last
# LOAD_SECONDS of the log, which end with the load.
end = pauses[-1][0] if pauses else 0
window = [p for p in pauses if p[0] >= end - seconds]
print()
print("| run | req/s | p50 | p90 | p99 |")
print("|---|---:|---:|---:|---:|")
for label, name in (("plain", "without GC logging"), ("logged", "with -Xlog:gc")):
    rps, lat, _ = wrk(label)
    print(f"| {name} | {rps:,.0f} | {lat.get('50')} | {lat.get('90')} | {lat.get('99')} |")
rps, lat, n = wrk("logged")
if window:
    total = sum(p[3] for p in window)
    longest = max(p[3] for p in window)
    garbage = sum(p[1] - p[2] for p in window) * 1024 * 1024
    print()
    print(f"Collections in the measured {seconds:.0f} s: {len(window)} ({len(window) / seconds:.1f}/s), "
          f"{total:.0f} ms paused in all ({100 * total / (seconds * 1000):.2f}% of the time), the longest {longest:.2f} ms; "
          f"about {garbage / n / 1024:.1f} kB collected per request ({n:,} requests).")
    for kind in sorted({p[4] for p in window}):
        ms = sorted(p[3] for p in window if p[4] == kind)
        print(f"- Pause {kind}: {len(ms)}, median {ms[len(ms) // 2]:.2f} ms, longest {ms[-1]:.2f} ms")
else:
    print("\nNo collection during the measured window.")
PY
