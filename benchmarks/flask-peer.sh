#!/usr/bin/env bash
# Digits' server against the pattern the tutorials teach — Flask + PyTorch under gunicorn (2 workers), PIL's
# grey conversion and resize to 28×28 — on the inputs clients send: a 28×28 PNG, a 280×280 canvas PNG as the web and
# Android canvases make it (grey, and RGBA as a browser writes it), a 1600×1200 phone photo JPEG of a digit on paper,
# the JSON pixels body of the web app's server mode, and a batch of 16 JSON images. Same model in both (the embedded cnn's weights, loaded into PyTorch
# from weights.safetensors), same machine, one after the other in the same run; the inputs are generated here.
# Usage: benchmarks/flask-peer.sh          (LOAD_SECONDS=20 and WARMUP_SECONDS=5 by default; with the server compiler
# in JAVA_OPTS, WARMUP_SECONDS=15: C2 is still compiling after 5 s)
# Needs: a built checkout (./mvnw install -DskipTests), wrk, and Debian's python3-flask, gunicorn, python3-torch,
# python3-pil; MNIST (DIGITS_DATA_DIR or ../shared/data/mnist).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DIGITS_DATA_DIR:-$here/../shared/data/mnist}"
load_seconds="${LOAD_SECONDS:-20}"
warmup_seconds="${WARMUP_SECONDS:-5}"
python=/usr/bin/python3   # Debian's, which has the packages
work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$python" "$here/benchmarks/inputs.py" "$data" "$work"

cat > "$work/peer.py" <<'PY'
# The seeds' server: Flask + PyTorch, PIL grey and resize, one model per worker.
import io, json, struct
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from flask import Flask, request, jsonify
from PIL import Image
torch.set_num_threads(1)

def safetensors(path):
    b = open(path, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.float32).reshape(v["shape"]).copy())
    return out

class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv2d_1 = nn.Conv2d(1, 32, 3); self.conv2d_2 = nn.Conv2d(32, 64, 3); self.conv2d_3 = nn.Conv2d(64, 64, 3)
        self.dense_1 = nn.Linear(576, 64); self.dense_2 = nn.Linear(64, 10)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2d_1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2d_2(x)), 2)
        x = F.relu(self.conv2d_3(x)).flatten(1)
        return F.softmax(self.dense_2(F.relu(self.dense_1(x))), dim=1)

import os
model = Cnn(); model.load_state_dict(safetensors(os.environ["WEIGHTS"])); model.eval()
app = Flask(__name__)

def answer(x):
    with torch.no_grad():
        p = model(x)
    return [{"digit": int(r.argmax()), "probability": float(r.max())} for r in p]

@app.route("/predict", methods=["POST"])
def predict():
    if request.is_json:
        pixels = request.get_json()["pixels"]
        x = torch.tensor(pixels, dtype=torch.float32).reshape(-1, 1, 28, 28)
        out = answer(x)
        return jsonify(out if len(out) > 1 else out[0])
    img = Image.open(io.BytesIO(request.get_data())).convert("L").resize((28, 28))
    x = torch.tensor(np.asarray(img, dtype=np.float32) / 255.0).reshape(1, 1, 28, 28)
    return jsonify(answer(x)[0])
PY

weights="$here/serve/src/main/resources/dev/digits/serve/default-model/weights.safetensors"
peer_port="$(free_port)"
(cd "$work" && WEIGHTS="$weights" gunicorn -w 2 -b "127.0.0.1:$peer_port" --log-level warning peer:app) &
pids+=($!)
digits_port="$(free_port)"
"$here/serve/target/digits-server" --host 127.0.0.1 --port "$digits_port" > "$work/digits.log" 2>&1 &
pids+=($!)
until curl -fs "http://127.0.0.1:$digits_port/health" > /dev/null 2>&1; do sleep 0.2; done
for _ in $(seq 300); do
  curl -fs -o /dev/null -X POST -H 'Content-Type: image/png' --data-binary "@$work/mnist.png" "http://127.0.0.1:$peer_port/predict" && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "flask-peer: the Flask server did not start" >&2; exit 1; }
  sleep 0.2
done

script() {  # wrk script posting FILE as TYPE to PATH
  cat > "$work/$1.lua" <<LUA
local f = io.open("$work/$2", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "$3"; wrk.path = "$4"
LUA
}
measure() {  # URL LUA CONNECTIONS -> "req/s p50 p99"
  wrk -t2 -c"$3" -d"${warmup_seconds}s" -s "$2" "$1" > /dev/null
  wrk -t2 -c"$3" -d"${load_seconds}s" --latency -s "$2" "$1" \
    | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print r, p50, p99}'
}
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores); $(date -u +%F)"
echo "Each row names the digit each server answered for that input."
echo
echo "| input | connections | Digits req/s (p50, p99) | Flask pattern req/s (p50, p99) | ratio |"
echo "|---|---:|---:|---:|---:|"
for row in "mnist.png image/png 64 /api/v1/predict 28×28 PNG" "canvas.png image/png 64 /api/v1/predict 280×280 canvas PNG" \
           "canvas-rgba.png image/png 64 /api/v1/predict 280×280 canvas PNG, RGBA" \
           "photo.jpg image/jpeg 16 /api/v1/predict 1600×1200 photo JPEG" "pixels.json application/json 64 /api/v1/predict JSON pixels" \
           "batch.json application/json 16 /api/v1/predict/batch JSON batch of 16"; do
  read -r file type conns route label <<<"$row"
  ours="$(curl -fs -X POST -H "Content-Type: $type" --data-binary "@$work/$file" "http://127.0.0.1:$digits_port$route")"
  theirs="$(curl -fs -X POST -H "Content-Type: $type" --data-binary "@$work/$file" "http://127.0.0.1:$peer_port/predict")"
  script digits "$file" "$type" "$route"
  script peer "$file" "$type" /predict
  read -r dr dp50 dp99 <<<"$(measure "http://127.0.0.1:$digits_port" "$work/digits.lua" "$conns")"
  read -r pr pp50 pp99 <<<"$(measure "http://127.0.0.1:$peer_port" "$work/peer.lua" "$conns")"
  ratio="$("$python" -c "print(f'{$dr / $pr:.2f}×')")"
  d1="$("$python" -c 'import json,sys; a=json.loads(sys.argv[1]); print(a["results"][0]["digit"] if "results" in a else a["digit"])' "$ours")"
  d2="$("$python" -c 'import json,sys; a=json.loads(sys.argv[1]); print(a[0]["digit"] if isinstance(a, list) else a["digit"])' "$theirs")"
  echo "| $label (Digits: $d1, Flask: $d2) | $conns | $dr ($dp50, $dp99) | $pr ($pp50, $pp99) | $ratio |"
done
