#!/usr/bin/env bash
# The GPU check for a host with an NVIDIA GPU (docs/gpu.md): run after `npm ci`.
#   bench/gpu-check.sh                  GPU mode when onnxruntime-node finds CUDA or WebGPU, else dry mode
#   bench/gpu-check.sh --dry            dry mode: says what it skipped, rehearses the pipeline on the CPU
#   bench/gpu-check.sh --out r.json --models a.onnx,b.onnx -n 50
# Writes one JSON file (schema sparoa.gpu-check.v1); exit 1 when a step failed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx bench/gpu-check.ts "$@"
