#!/bin/bash
# National scale (issues 9 and 25): a generated input of 10^7 entities and 10^8 deals (about 41 GB, made once
# under bench/data/), run end to end with the bundled example's model, funding, market, assessment (8 draws) and
# its three policies (configs/example.ini; funding.budget scaled with the deals), at RANKS ranks x 1 thread, for
# each batch size. Records wall seconds, every rank's peak RSS (GNU time), the memory plan's estimate, whether
# the run spilled (run.spill = auto), the stage seconds and the peak memory by phase (largest rank); SAVE=1
# appends them to bench/results/. Needs about 41 + 8 GB of disk, plus up to 14 GB of scratch files (TMPDIR).
# Usage: bench/run_national.sh [RANKS] [BATCH...]   (defaults: 2 ranks; batch 1048576)
set -euo pipefail
cd "$(dirname "$0")/.."
RANKS=${1:-2}
shift $(($# > 0 ? 1 : 0))
BATCHES=${*:-1048576}
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/tradebal" ] || BUILD_DIR=$BUILD_DIR jobs/build.sh >/dev/null
TB=$(realpath "$BUILD_DIR/tradebal")
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p bench/data
IN=$(realpath -m bench/data/national.h5)
W=$(mktemp -d)
# the run's log is kept (bench/results/national-last.log) whatever happens after the run
trap 'cp "$W/log" bench/results/national-last.log 2>/dev/null; rm -rf "$W"' EXIT
OUT="# tradebal $("$TB" version | awk '{print $2}') national-scale run, $(date -u +%Y-%m-%dT%H:%M:%SZ)
# host $(hostname) ($(uname -sr)), cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $RANKS ranks x 1 thread
# peak RSS: every rank's (GNU time %M); estimate: the run's memory plan per rank (progress output); config: configs/example.ini (3 policies, 8 draws), funding.budget 25000"
if [ ! -f "$IN" ]; then
  t0=$(date +%s.%N)
  mpiexec -n "$RANKS" "$TB" generate -o "$IN" --entities 10000000 --deals 100000000 --regions 50 --periods 10 \
    --sectors 64 --seed 7 | tail -1
  OUT+=$'\n'"# generated in $(awk "BEGIN {printf \"%.0f\", $(date +%s.%N) - $t0}") s: $(du -h "$IN" | cut -f1)"
fi
OUT+=$'\n\n| batch_deals | wall s | peak RSS per rank | plan estimate per rank | spilled | stage seconds | peak memory by phase (GB, largest rank) |\n|---|---|---|---|---|---|---|'
for b in $BATCHES; do
  # the example's config with this input and a scratch output; the budget scaled from 2*10^6 deals to 10^8
  awk -v inp="$IN" -v out="$W/out.h5" -v b="$b" '
    /^\[/ {sec = $0} sec == "[input]" && /^file *=/ {$0 = "file = " inp} sec == "[output]" && /^file *=/ {$0 = "file = " out}
    sec == "[run]" && /^batch_deals *=/ {$0 = "batch_deals = " b} sec == "[run]" && /^progress *=/ {$0 = "progress = always"}
    sec == "[backend]" && /^threads *=/ {$0 = "threads = 1"} sec == "[funding]" && /^budget *=/ {$0 = "budget = 25000"}
    {print}' configs/example.ini >"$W/n.ini"
  t0=$(date +%s.%N)
  OMP_NUM_THREADS=1 mpiexec -n "$RANKS" /usr/bin/time -f "@rss %M" "$TB" run -c "$W/n.ini" >"$W/log" 2>&1 ||
    { cat "$W/log"; exit 1; }
  wall=$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}")
  rss=$(sed -n 's/^@rss //p' "$W/log" | sort -n | tail -1)
  est=$(sed -n 's/.*memory: about \([0-9.]* GB\) per rank.*/\1/p' "$W/log" | head -1)
  stages=$(sed -n 's/^ *stage seconds: //p' "$W/log")
  phases=$(sed -n 's/^ *peak memory by phase (GB, largest rank): //p' "$W/log")
  rsss=$(sed -n 's/^@rss //p' "$W/log" | sort -n | awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1 / 1024} END {print " MiB"}')
  spilled=$(grep -q '^\[run\] spilling' "$W/log" && echo yes || echo no)
  OUT+=$'\n'"| $b | $wall | $rsss | ${est:-?} | $spilled | $stages | $phases |"
  echo "run_all: batch $b done in $wall s" >&2
done
OUT+=$'\n\n```\n'"$(grep -v '^@rss\|^\[' "$W/log" | tail -12)"$'\n```'
echo "$OUT"
if [ "${SAVE:-0}" = 1 ]; then
  echo "$OUT" >>"bench/results/national-cpu-$(hostname)-$(date -u +%Y%m%d).md"
fi
