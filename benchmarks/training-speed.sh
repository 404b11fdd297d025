#!/usr/bin/env bash
# Training throughput per architecture (images/s at batch 32, the trainer's own loop and progress reporting).
# Two epochs over 20,000 MNIST images each; the second (steady-state) epoch is reported.
# Usage: benchmarks/training-speed.sh [architecture...]   (default: mlp mlp512 cnn convnet resnet)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
archs=("$@"); [ ${#archs[@]} -gt 0 ] || archs=(mlp mlp512 cnn convnet resnet)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
printf '%-10s %14s\n' architecture "images/s"
for a in "${archs[@]}"; do
  DIGITS_NO_REBUILD=1 "$here/digits" train --model "$a" --epochs 2 --limit 20000 --seed 1 --output "$tmp/$a" > "$tmp/$a.log" 2>&1
  printf '%-10s %14s\n' "$a" "$(awk -F, 'NR==3 {printf "%.0f", $7}' "$tmp/$a/history.csv")"
done
