#!/bin/bash
# Deal-stage benchmark on a generated input of DEALS deals (default 10^7; the input is
# made once under bench/data/). Prints the provenance header and table, and saves them
# under bench/results/ when SAVE=1. Usage: bench/run_deals.sh [DEALS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
DEALS=${1:-10000000}
REPS=${2:-7}
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/bench/tb_bench_deals" ] || BUILD_DIR=$BUILD_DIR jobs/build.sh
mkdir -p bench/data
IN=bench/data/deals_$DEALS.h5
[ -f "$IN" ] || "$BUILD_DIR/tradebal" generate -o "$IN" --entities $((DEALS / 10 > 2 ? DEALS / 10 : 2)) \
  --deals "$DEALS" --seed 1
PY=/usr/bin/python3
OUT=$("$BUILD_DIR/bench/tb_bench_deals" "$IN" "$REPS" "$PY" bench/peers/numpy_deals.py)
echo "$OUT"
if [ "${SAVE:-0}" = 1 ]; then
  mkdir -p bench/results
  echo "$OUT" > "bench/results/deals-cpu-$(hostname)-$(date -u +%Y%m%d).md"
fi
