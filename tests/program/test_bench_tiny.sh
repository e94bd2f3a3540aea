#!/bin/bash
# bench/run_all --tiny: every benchmark still builds, runs and reports (CI runs the benchmarks only
# at this size; no figure is judged, timing never fails a test). Asserts that each expected case
# has a row with a positive throughput, that the peers ran, and that the call auction's prices
# equal the NumPy peer's (tb_bench_auction exits 1 otherwise, which fails run_all); then
# bench/run_nodes.sh --tiny the same way.
# Usage: test_bench_tiny.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(BUILD_DIR=$1 bench/run_all --tiny 2>&1) || { echo "$out"; echo "FAIL: bench/run_all --tiny exited $?"; exit 1; }
fail=0
row() { # row PATTERN: the table row of a case, with a positive throughput (and peer ratio when asked)
  local line
  line=$(echo "$out" | grep -E "^\| $1" | head -1)
  if [ -z "$line" ]; then
    echo "FAIL: no row for '$1'"; fail=1; return
  fi
  echo "$line" | awk -F'|' -v p="$2" '{ split($3, t, " "); if (!(t[1] + 0 > 0)) exit 1; if (p && !($6 + 0 > 0)) exit 1 }' ||
    { echo "FAIL: row without a positive figure: $line"; fail=1; }
}
row "ceiling: copy bandwidth" ""
row "ceiling: DGEMM" ""
row "deal stage \(cpu\)" 1
row "spillover iteration \(cpu, 1 ranks x [0-9]+ threads\) \| [^|]* \| [^|]* \| SciPy" 1
row "Leontief LU \(cpu\)" 1
row "call auction" 1
row "sweep batch efficiency" 1
if grep -qE '^TB_SANITIZE:STRING=.+' "$1/CMakeCache.txt"; then # run_all skips them: python cannot load an ASan library
  echo "$out" | grep -q "Python SDK rows skipped" || { echo "FAIL: the SDK rows neither ran nor were skipped"; fail=1; }
else
  row "Python SDK: single-deal evaluate latency" 1
  row "Python SDK: batch evaluate" 1
  for what in deals parties; do
    row "Python SDK: Result\\.$what\\(chunk=" 1
  done
fi
for r in 1 2; do
  row "scaling: deal stage, strong .*, $r ranks" 1
  row "scaling: deal stage, weak .*, $r ranks" 1
  row "scaling: spillover, strong .*, $r ranks" 1
  row "scaling: spillover, weak .*, $r ranks" 1
  for what in "write, collective" "read, collective" "write, independent" "read, independent"; do
    row "HDF5 $what \($r ranks\)" 1
  done
done
echo "$out" | grep -q "^# tradebal .* bench/run_all" || { echo "FAIL: no provenance header"; fail=1; }
echo "$out" | grep -q "^# compiler: " || { echo "FAIL: no compiler in the provenance header"; fail=1; }
# bench/run_nodes.sh --tiny over a private 3-node cluster (about 30 s; skipped where the cluster cannot start):
# a row for every graph, scaling and rank count with its iterations, and at 2 ranks or more a halo and bytes sent
# in the network phase
nodes=$(BUILD_DIR=$1 bench/run_nodes.sh --tiny 2>&1)
rc=$?
if [ "$rc" = 77 ]; then
  echo "bench/run_nodes.sh skipped: no private cluster here"
elif [ "$rc" != 0 ]; then
  echo "$nodes"; echo "FAIL: bench/run_nodes.sh --tiny exited $rc"; fail=1
else
  for g in random "locality 0.9"; do
    for kind in strong weak; do
      for r in 1 2 3 6; do
        echo "$nodes" | grep -E "^\| $g \| $kind \| $r \|" | awk -F"|" -v r="$r" '{ bad += !($12 + 0 > 0) || r > 1 && !($13 + 0 > 0 && $17 + 0 > 0); n++ } END { exit bad || n != 1 }' ||
          { echo "FAIL: run_nodes: no complete row for $g, $kind, $r ranks"; fail=1; }
      done
    done
  done
fi
[ "$fail" = 0 ] && echo "bench_tiny: every case reported" || echo "$out"
exit "$fail"
