#!/bin/bash
# Sweep batch efficiency (issue 6): one job running S scenarios against one job running one,
# E = S * t(1) / t(S) with t the job's wall time, for S = 1, 16, 256 by default; also the
# marginal seconds per scenario and the gain over S separate plain runs. Prints the
# provenance header and the table; SAVE=1 keeps them under bench/results/.
# Usage: bench/run_sweep.sh [DEALS] [DRAWS] [RANKS] [S...]
set -euo pipefail
cd "$(dirname "$0")/.."
DEALS=${1:-50000}
DRAWS=${2:-4}
RANKS=${3:-1}
shift $(($# > 3 ? 3 : $#))
SIZES=${*:-1 16 256}
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/tradebal" ] || BUILD_DIR=$BUILD_DIR jobs/build.sh
TB=$(realpath "$BUILD_DIR/tradebal")
mkdir -p bench/data
IN=$(realpath -m bench/data/sweep_$DEALS.h5)
[ -f "$IN" ] || "$TB" generate -o "$IN" --entities $((DEALS / 10)) --deals "$DEALS" --regions 8 --periods 6 \
  --sectors 16 --seed 3 >/dev/null
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cat > "$W/sweep.ini" <<INI
[input]
file = $IN
[output]
file = $W/out.h5
overwrite = true
[run]
progress = never
[funding]
budget = 200
[assessment]
draws = $DRAWS
INI
cat configs/two_policies.ini >>"$W/sweep.ini"
cat >>"$W/sweep.ini" <<INI
[sweep]
method = random
market.elasticity = 0.5:3
policy.tariff10.rate = 0:0.4
funding.theta = 1:2
INI
MPI=()
[ "$RANKS" -gt 1 ] && MPI=(mpiexec --oversubscribe -n "$RANKS")
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
OUT="# tradebal $("$TB" version | awk '{print $2}') sweep batch-efficiency benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)
# host $(hostname) ($(uname -sr)), cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), backend cpu, ranks $RANKS, OMP_NUM_THREADS=${OMP_NUM_THREADS:-(default)}
# input: $DEALS deals, $((DEALS / 10)) entities (generated, seed 3); 3 policies, $DRAWS draws; random sweep of 3 parameters
# t(S): wall seconds of one job running S scenarios (validation, hashing and reading included)"
t0=$(now)
"${MPI[@]}" "$TB" run -c "$W/sweep.ini" --set sweep.method=none >/dev/null
plain=$(calc "$(now) - $t0")
OUT+=$'\n'"$(printf '%-6s %12s %14s %18s %20s' S 't(S) s' 'E=S*t(1)/t(S)' 'marginal s/scen' 'S plain runs / t(S)')"
t1=
for S in $SIZES; do
  t0=$(now)
  "${MPI[@]}" "$TB" run -c "$W/sweep.ini" --set sweep.samples="$S" >/dev/null
  t=$(calc "$(now) - $t0")
  [ -z "$t1" ] && t1=$t
  marg=$( [ "$S" -gt 1 ] && calc "($t - $t1) / ($S - 1)" || echo 0)
  OUT+=$'\n'"$(printf '%-6s %12.3f %14.2f %18.4f %20.2f' "$S" "$t" "$(calc "$S * $t1 / $t")" "$marg" \
    "$(calc "$S * $plain / $t")")"
done
OUT+=$'\n'"$(printf '@row|sweep batch efficiency (S = %s, %s rank(s))|%.3g|E = S t(1) / t(S)|0|-|S plain runs|%.3g|marginal %.4f s a scenario' \
  "$S" "$RANKS" "$(calc "$S * $t1 / $t")" "$(calc "$S * $plain / $t")" "$marg")"
OUT+=$'\n'"# one plain run (sweep.method=none, every output dataset written): $(printf '%.3f' "$plain") s"
echo "$OUT"
if [ "${SAVE:-0}" = 1 ]; then
  mkdir -p bench/results
  echo "$OUT" >> "bench/results/sweep-cpu-$(hostname)-$(date -u +%Y%m%d).md"
fi
