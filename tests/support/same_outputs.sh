#!/bin/bash
# The outputs a refactoring must leave bitwise alone (issue 21): configs/example.ini on the bundled example,
# the sweep and two multi-rank runs on a small generated input, the worked example (jobs/us2023.sh, small), and
# every case of the boundary corpus as a run, a sweep and (where it has orders) an exchange.
#   same_outputs.sh TRADEBAL OUT [INPUTS]   writes OUT/; INPUTS: an earlier OUT whose generated inputs the runs
#                                            read (the data are the same, but each file's `created` differs)
# Then same_outputs.py BEFORE AFTER compares two such folders. A before/after check of a change:
#   git worktree add /tmp/old REV && BUILD_DIR=/tmp/old/build /tmp/old/jobs/build.sh
#   tests/support/same_outputs.sh /tmp/old/build/tradebal /tmp/before
#   tests/support/same_outputs.sh build/tradebal /tmp/after /tmp/before
#   tests/support/same_outputs.py /tmp/before /tmp/after
set -uo pipefail
TB=$(realpath "$1"); OUT=$(realpath -m "$2"); IN=$(realpath -m "${3:-$2}")
cd "$(dirname "$0")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=2
MPI="mpiexec --oversubscribe -n"
rm -rf "$OUT"; mkdir -p "$OUT/in" "$OUT/b"
ok() { echo "+ $*" >> "$OUT/log"; "$@" >> "$OUT/log" 2>&1 || echo "FAIL($?): $*" | tee -a "$OUT/fail"; }
[ -f examples/example.h5 ] || ok "$TB" generate -o examples/example.h5 --entities 200000 --deals 2000000 --regions 12 \
  --periods 6 --sectors 24 --seed 2026
ok "$TB" run -c configs/example.ini -o "$OUT/example.h5" --overwrite
GEN=(--entities 3000 --deals 20000 --regions 5 --periods 4 --sectors 6 --seed 7 --overwrite)
ok "$TB" generate -o "$OUT/gen_small.h5" "${GEN[@]}"
ok $MPI 3 "$TB" generate -o "$OUT/gen_small3.h5" "${GEN[@]}"
ok "$TB" run -c configs/sweep.ini --set input.file="$IN/gen_small.h5" --set sweep.samples=4 -o "$OUT/sweep.h5" --overwrite
ok $MPI 2 "$TB" run -c configs/example.ini --set input.file="$IN/gen_small.h5" -o "$OUT/example_small2.h5" --overwrite
ok $MPI 3 "$TB" run -c configs/example.ini --set input.file="$IN/gen_small.h5" --set run.batch_deals=3000 \
  -o "$OUT/example_small3.h5" --overwrite
ok env OUT="$OUT/us" TB="$TB" DEALS=20000 ENTITIES=2000 jobs/us2023.sh
ok "$TB" run -c configs/us2023.ini --set input.file="$IN/us/us2023.h5" -o "$OUT/us_fixed.h5" --overwrite
ok /usr/bin/python3 tests/corpus/boundary/make_boundary.py "$OUT/in"
for ini in "$OUT"/in/*.ini; do
  ok "$TB" run -c "$ini" -o "$OUT/b/$(basename "$ini" .ini).out.h5" --overwrite
done
for f in "$OUT"/in/*.h5; do
  /usr/bin/python3 -c "import h5py, sys; sys.exit(0 if 'market/orders' in h5py.File('$f') else 1)" &&
    ok $MPI 2 "$TB" match "$f" -o "$OUT/b/$(basename "$f" .h5).match.h5" --overwrite
done
[ -f "$OUT/fail" ] && exit 1
echo "same_outputs.sh: $(find "$OUT" -name '*.h5' | wc -l) files in $OUT"
