#!/bin/bash
# National scale (issue 9): a generated input of 10^7 entities and 10^8 deals (about 41 GB, made once
# under bench/data/), run end to end (deal passes, funding, the `none` policy's market, network
# spillovers, input-output impacts; POLICIES=1 adds a tariff and a certificate policy, which at 2
# ranks needs more than 24 GiB by the memory plan) at RANKS ranks with two batch sizes, so the
# part of memory that the batch bounds shows. Prints wall seconds, the largest rank's peak RSS
# (GNU time) and the memory plan's estimate; SAVE=1 appends them to bench/results/.
# Usage: bench/run_national.sh [RANKS] [BATCH...]   (defaults: 2 ranks; batches 1048576 262144)
set -euo pipefail
cd "$(dirname "$0")/.."
RANKS=${1:-2}
shift $(($# > 0 ? 1 : 0))
BATCHES=${*:-1048576 262144}
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/tradebal" ] || BUILD_DIR=$BUILD_DIR jobs/build.sh >/dev/null
TB=$(realpath "$BUILD_DIR/tradebal")
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p bench/data
IN=$(realpath -m bench/data/national.h5)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
OUT="# tradebal $("$TB" version | awk '{print $2}') national-scale run, $(date -u +%Y-%m-%dT%H:%M:%SZ)
# host $(hostname) ($(uname -sr)), cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $RANKS ranks x 1 thread
# peak RSS: the largest rank's (GNU time %M); estimate: the run's memory plan per rank (progress output)"
if [ ! -f "$IN" ]; then
  t0=$(date +%s.%N)
  mpiexec -n "$RANKS" "$TB" generate -o "$IN" --entities 10000000 --deals 100000000 --regions 50 --periods 10 \
    --sectors 64 --seed 7 | tail -1
  OUT+=$'\n'"# generated in $(awk "BEGIN {printf \"%.0f\", $(date +%s.%N) - $t0}") s: $(du -h "$IN" | cut -f1)"
fi
OUT+=$'\n\n| batch_deals | wall s | peak RSS per rank | plan estimate per rank | stage seconds |\n|---|---|---|---|---|'
for b in $BATCHES; do
  cat >"$W/n.ini" <<INI
[input]
file = $IN
[output]
file = $W/out.h5
overwrite = true
[run]
batch_deals = $b
progress = always
[backend]
threads = 1
[funding]
budget = 500000
INI
  [ "${POLICIES:-0}" = 1 ] && cat configs/two_policies.ini >>"$W/n.ini"
  t0=$(date +%s.%N)
  OMP_NUM_THREADS=1 mpiexec -n "$RANKS" /usr/bin/time -f "@rss %M" "$TB" run -c "$W/n.ini" >"$W/log" 2>&1 ||
    { cat "$W/log"; exit 1; }
  wall=$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}")
  rss=$(sed -n 's/^@rss //p' "$W/log" | sort -n | tail -1)
  est=$(sed -n 's/.*memory: about \([0-9.]* GB\) per rank.*/\1/p' "$W/log" | head -1)
  stages=$(sed -n 's/^ *stage seconds: //p' "$W/log")
  OUT+=$'\n'"| $b | $wall | $(awk "BEGIN {printf \"%.0f MiB\", $rss / 1024}") | ${est:-?} | $stages |"
  echo "run_all: batch $b done in $wall s" >&2
done
OUT+=$'\n\n```\n'"$(grep -v '^@rss\|^\[' "$W/log" | tail -12)"$'\n```'
echo "$OUT"
if [ "${SAVE:-0}" = 1 ]; then
  echo "$OUT" >>"bench/results/national-cpu-$(hostname)-$(date -u +%Y%m%d).md"
fi
