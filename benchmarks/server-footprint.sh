#!/usr/bin/env bash
# The server's footprint for the embedded model: time from launching it to ready (/health answering 200) and, when
# the server logs it, from the JVM's own start to ready; resident
# memory idle and after 60 s of load (wrk, 64 connections, a 28×28 MNIST PNG to /api/v1/predict), and the size of the
# jars it runs on. Each command given is measured in turn, in the same run, so the numbers compare.
# Usage: benchmarks/server-footprint.sh [NAME=COMMAND ...]
#   default: the distribution's launcher (serve/target/digits-server), its jar run plainly (java -jar) and
#   `digits serve` (the whole tool's jar).
#   e.g. benchmarks/server-footprint.sh "before=java -jar /tmp/before/digits.jar serve"
# Needs: a built checkout (./mvnw install -DskipTests), wrk (Debian package), MNIST (DIGITS_DATA_DIR or ../shared).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DIGITS_DATA_DIR:-$here/../shared/data/mnist}"
load_seconds="${LOAD_SECONDS:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One MNIST test digit as a PNG, and the wrk script that posts it.
python3 - "$data" "$work/digit.png" <<'PY'
import gzip, struct, sys, zlib, os
d = sys.argv[1]
name = next(n for n in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte") if os.path.exists(os.path.join(d, n)))
raw = open(os.path.join(d, name), "rb").read()
raw = gzip.decompress(raw) if name.endswith(".gz") else raw
px = raw[16:16 + 784]
rows = b"".join(b"\x00" + px[y * 28:(y + 1) * 28] for y in range(28))
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
cat > "$work/predict.lua" <<LUA
local f = io.open("$work/digit.png", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "image/png"
wrk.path = "/api/v1/predict"
LUA

jar_megabytes() {  # the jar and everything its manifest's Class-Path names
  python3 - "$1" <<'PY'
import os, sys, zipfile
jar = sys.argv[1]; base = os.path.dirname(jar)
cp = ""
with zipfile.ZipFile(jar) as z:
    lines = z.read("META-INF/MANIFEST.MF").decode().replace("\r\n ", "").replace("\n ", "").splitlines()
    cp = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("Class-Path:")), "")
total = os.path.getsize(jar) + sum(os.path.getsize(os.path.join(base, p)) for p in cp.split() if os.path.exists(os.path.join(base, p)))
print("%.1f" % (total / 1e6))
PY
}

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

measure() {
  local name="$1" cmd="$2" port=$((20000 + RANDOM % 20000))
  local start; start=$(date +%s.%N)
  # shellcheck disable=SC2086
  $cmd --port "$port" > "$work/$name.log" 2>&1 &
  local pid=$!
  until curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "$name: server exited, see its log:"; cat "$work/$name.log"; return 1; }
    sleep 0.02
  done
  local ready; ready=$(python3 -c "print('%.2f' % ($(date +%s.%N) - $start))")
  sleep 5
  local idle; idle=$(rss_mb "$pid")
  local rps; rps=$(wrk -t2 -c64 -d"${load_seconds}s" -s "$work/predict.lua" "http://127.0.0.1:$port" | awk '/Requests\/sec/ {print $2}')
  local loaded; loaded=$(rss_mb "$pid")
  local maps; maps=$(grep -c -E 'libtorch|tensorflowlite' "/proc/$pid/maps" || true)
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  local jar; jar=$(echo "$cmd" | grep -o '[^ ]*\.jar' | head -1)  || true
  [ -n "$jar" ] || jar="$(dirname "${cmd%% *}")/digits-server.jar"   # a launcher beside its jar
  local own; own=$(grep -o 'ready [0-9]* ms after the JVM started' "$work/$name.log" | grep -o '[0-9]*' || true)
  own=$([ -n "$own" ] && python3 -c "print('%.2f s' % ($own / 1000))" || echo "-")
  printf '%-12s %9s s %12s %10s MB %14s MB %12s %12s MB %s\n' "$name" "$ready" "$own" "$idle" "$loaded" "$rps" "$(jar_megabytes "$jar")" \
    "$([ "$maps" = 0 ] && echo "no libtorch/TFLite mapped" || echo "libtorch/TFLite mapped")"
}

printf '%-12s %11s %12s %13s %17s %12s %15s\n' server "ready" "JVM→ready" "RSS idle" "RSS after load" "req/s" "runtime jars"
if [ $# -eq 0 ]; then
  set -- "launcher=$here/serve/target/digits-server" "java-jar=java -jar $here/serve/target/digits-server.jar" \
    "digits-serve=java -Dai.djl.offline=true -jar $here/cli/target/digits.jar serve"
fi
for spec in "$@"; do measure "${spec%%=*}" "${spec#*=}"; done
