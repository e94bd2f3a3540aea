#!/bin/bash
# Configure and build tradebal into BUILD_DIR (default: build). CUDA kernels are built
# whenever nvcc is found (also under /usr/local/cuda/bin); the web client and dashboard (web/: npm ci
# from the lockfile when needed, the dashboard's bundle) whenever node >= 20 and npm are (-DTB_WEB=OFF: never).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=$PATH:/usr/local/cuda/bin; fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
