#!/usr/bin/env bash
# Trains architectures with default settings (seed included) for 5 epochs on the full MNIST training set and prints their test
# accuracy and seconds per epoch (the acceptance runs recorded in BENCHMARKS.md).
# Usage: benchmarks/accuracy.sh [architecture...]   (default: mlp cnn resnet); DIGITS_DATA_DIR or --data as usual.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${BENCH_OUT:-$here/runs/accuracy}"
archs=("$@"); [ ${#archs[@]} -gt 0 ] || archs=(mlp cnn resnet)
mkdir -p "$out"
printf '%-10s %9s %12s %14s\n' architecture "test acc" "s/epoch" "images/s"
for a in "${archs[@]}"; do
  DIGITS_NO_REBUILD=1 "$here/digits" train --model "$a" --epochs 5 --output "$out/$a" > "$out/$a.log" 2>&1
  python3 - "$out/$a" <<'PY'
import csv, json, sys
d = sys.argv[1]
card = json.load(open(d + "/model-card.json"))
rows = list(csv.DictReader(open(d + "/history.csv")))
secs = [float(r["seconds"]) for r in rows]
ips = [float(r["images_per_second"]) for r in rows]
steady = rows[1:] or rows   # epoch 1 includes native warm-up
print("%-10s %8.2f%% %12.1f %14.0f" % (card["architecture"], 100 * card["metrics"]["test"]["accuracy"],
      sum(secs) / len(secs), sum(float(r["images_per_second"]) for r in steady) / len(steady)))
PY
done
