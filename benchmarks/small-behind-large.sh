#!/usr/bin/env bash
# Latency of a small PNG (one MNIST digit, 28×28) while 16 connections post 4096×4096 16-bit PNGs: small images have a
# decoding budget of their own, so they must not wait behind large ones. Prints the small requests' status:seconds,
# the large requests' outcome (most are answered 503 + Retry-After once their budget is full) and the server's RSS.
# Usage: benchmarks/small-behind-large.sh [SERVER COMMAND...]   (default: serve/target/digits-server)
# Needs: a built checkout (./mvnw install -DskipTests), wrk and curl, MNIST (DIGITS_DATA_DIR or ../shared).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DIGITS_DATA_DIR:-$here/../shared/data/mnist}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ $# -gt 0 ] || set -- "$here/serve/target/digits-server"
port=$((20000 + RANDOM % 20000))

python3 - "$data" "$work" <<'PY'
import gzip, os, struct, sys, zlib
d, out = sys.argv[1], sys.argv[2]
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
def png(w, h, depth, rows): return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, 0, 0, 0, 0))
                                    + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
name = next(n for n in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte") if os.path.exists(os.path.join(d, n)))
raw = open(os.path.join(d, name), "rb").read()
raw = gzip.decompress(raw) if name.endswith(".gz") else raw
px = raw[16:16 + 784]
open(os.path.join(out, "small.png"), "wb").write(png(28, 28, 8, b"".join(b"\x00" + px[y * 28:(y + 1) * 28] for y in range(28))))
open(os.path.join(out, "large.png"), "wb").write(png(4096, 4096, 16, (b"\x00" + b"\xff\xff" * 4096) * 4096))
PY
cat > "$work/large.lua" <<LUA
local f = io.open("$work/large.png", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "image/png"; wrk.path = "/api/v1/predict"
LUA

"$@" --port "$port" > "$work/server.log" 2>&1 &
server=$!
until curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.05
done
pid=$(pgrep -P "$server" java || echo "$server")   # the JVM, when the command is a launcher that forks
wrk -t2 -c16 -d25s -s "$work/large.lua" "http://127.0.0.1:$port" > "$work/wrk.txt" 2>&1 &
sleep 5
echo -n "small PNG (status:seconds): "
for _ in $(seq 1 20); do
  curl -s -o /dev/null -w "%{http_code}:%{time_total} " -H "Content-Type: image/png" --data-binary "@$work/small.png" \
    "http://127.0.0.1:$port/api/v1/predict"
  sleep 0.5
done
echo
echo "RSS under the large load: $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$pid/status")"
wait %2 2>/dev/null || true
echo "large PNGs: $(grep -E 'requests in' "$work/wrk.txt" | sed 's/^ *//'); $(grep -E 'Non-2xx' "$work/wrk.txt" | sed 's/^ *//')"
kill -TERM "$server"; wait "$server" 2>/dev/null || true
