#!/usr/bin/env bash
# Replicas sharing one PostgreSQL registry, behind nginx: throughput through nginx with 1, 2 and 3 replicas (wrk,
# 64 connections, a 28×28 MNIST PNG to /api/v1/predict), and how long an activation takes to reach every replica
# (from the upload's answer to the last replica answering with the new version, polled every 10 ms).
# All on this machine: the replicas, nginx, PostgreSQL and wrk share its cores, so the throughput column shows the
# cost of the extra hop and processes more than what more machines would give.
# Usage: benchmarks/replicas.sh            (LOAD_SECONDS=30 by default; ROLLOUTS=5)
# Needs: a built checkout (./mvnw install -DskipTests), Debian's postgresql, nginx and wrk, MNIST (DIGITS_DATA_DIR
# or ../shared/data/mnist).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DIGITS_DATA_DIR:-$here/../shared/data/mnist}"
load_seconds="${LOAD_SECONDS:-30}"
rollouts="${ROLLOUTS:-5}"
work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -f "$work/pg/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
pgport="$(free_port)"
mkdir -p "$work/pg" && { [ "$(id -u)" -ne 0 ] || chown postgres "$work/pg"; }
as_postgres "$pgbin/initdb" -D "$work/pg" -A trust -U digits --no-sync >/dev/null
as_postgres "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1" -w start >/dev/null
registry="jdbc:postgresql://127.0.0.1:$pgport/postgres?user=digits"

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
open(sys.argv[2], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
cat > "$work/predict.lua" <<LUA
local f = io.open("$work/digit.png", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "image/png"
wrk.path = "/api/v1/predict"
LUA
# The embedded model as an upload: a new version with the same files.
(cd "$here/serve/src/main/resources/dev/digits/serve/default-model" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for root, _, files in os.walk("."):
        for f in files: z.write(os.path.join(root, f), os.path.relpath(os.path.join(root, f), "."))' "$work/model.zip")

token="replica-benchmark-token-0123456789"
ports=()
start_replica() {
  local port; port="$(free_port)"
  DIGITS_ADMIN_TOKEN="$token" "$here/serve/target/digits-server" --host 127.0.0.1 --port "$port" --registry "$registry" \
    > "$work/replica-$port.log" 2>&1 &
  pids+=($!)
  until curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1; do sleep 0.1; done
  ports+=("$port")
}
nginx_port=""
start_nginx() {  # balancing over every replica started so far
  [ -z "${nginx_pid:-}" ] || { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; }
  nginx_port="$(free_port)"
  { echo "daemon off; master_process off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_body_temp_path $work/nb; proxy_temp_path $work/np; fastcgi_temp_path $work/nf;"
    echo "  uwsgi_temp_path $work/nu; scgi_temp_path $work/ns;"
    echo "  upstream digits {"; for p in "${ports[@]}"; do echo "    server 127.0.0.1:$p;"; done; echo "    keepalive 64; }"
    echo "  server { listen 127.0.0.1:$nginx_port; location / { proxy_pass http://digits; proxy_http_version 1.1;"
    echo "    proxy_set_header Connection \"\"; proxy_next_upstream error timeout; } } }"; } > "$work/nginx.conf"
  /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  until curl -fs "http://127.0.0.1:$nginx_port/health" > /dev/null 2>&1; do sleep 0.1; done
}
served_version() { curl -fs -X POST -H 'Content-Type: image/png' --data-binary "@$work/digit.png" \
  "http://127.0.0.1:$1/api/v1/predict" | python3 -c 'import json,sys; print(json.load(sys.stdin)["model"]["version"])'; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores); $(date -u +%F)"
echo
echo "| replicas behind nginx | requests/s | p50 | p99 |"
echo "|---:|---:|---:|---:|"
direct=""
for n in 1 2 3; do
  start_replica
  start_nginx
  out="$(wrk -t2 -c64 -d"${load_seconds}s" --latency -s "$work/predict.lua" "http://127.0.0.1:$nginx_port")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"; p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  echo "| $n | $rps | $p50 | $p99 |"
  if [ "$n" -eq 1 ]; then
    direct="$(wrk -t2 -c64 -d"${load_seconds}s" -s "$work/predict.lua" "http://127.0.0.1:${ports[0]}" | awk '/Requests\/sec/ {print $2}')"
  fi
done
echo
echo "One replica without nginx: $direct requests/s."
echo
echo "Activation to every one of ${#ports[@]} replicas serving it ($rollouts uploads through replica 1, activated):"
for i in $(seq 1 "$rollouts"); do
  v="$(curl -fs -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/zip' --data-binary "@$work/model.zip" \
    "http://127.0.0.1:${ports[0]}/api/v1/admin/models/cnn/versions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
  t0="$(date +%s%N)"
  for p in "${ports[@]}"; do until [ "$(served_version "$p")" = "$v" ]; do sleep 0.01; done; done
  echo "  version $v: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
