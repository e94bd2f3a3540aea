#!/bin/bash
# MODEL.md section 10: generate and run give identical data at 1, 2 and 4 ranks
# (h5diff and bitwise with shapes: tests/support/h5same.py), with different batch sizes too. A negative control proves
# the comparison can fail. Usage: test_ranks.sh TRADEBAL PYTHON WORKDIR MPIEXEC [MPI FLAGS...]
set -u
TB=$1 PY=$2 W=$3
shift 3
MPI=("$@")
export OMP_NUM_THREADS=1
HERE=$(cd "$(dirname "$0")" && pwd)
h5same() { "$PY" "$HERE/../support/h5same.py" "$@"; }
mkdir -p "$W" && cd "$W" || exit 1
fail=0 pass=0
ok() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2" >&2; fi; }
G="--entities 3000 --deals 30000 --regions 6 --periods 4 --sectors 8 --seed 11 --overwrite"
"$TB" generate -o in1.h5 $G >/dev/null; ok $? "generate 1 rank"
for n in 2 4; do
  "${MPI[@]}" -n $n "$TB" generate -o in$n.h5 $G --batch $((1000 * n + 7)) >/dev/null; ok $? "generate $n ranks"
  h5same in1.h5 in$n.h5 >/dev/null; ok $? "generate: 1 vs $n ranks differ"
done
# sections 4-5 and 8 too: a binding budget, a tariff and a certificate market on every region, 3 draws
printf '[input]\nfile = in1.h5\n[assessment]\ndraws = 3\n[split]\nscope = all\n[funding]\nbudget = 300\n[policy.tariff]\nkind = tariff\nrate = 0.2\nregions = all\n[policy.certs]\nkind = certificates\nratio = 0.5\nexpiry = 2\nfloor = 0.01\nregions = all\n' > run.ini
"$TB" run -c run.ini -o out1.h5 --overwrite > log1.txt; ok $? "run 1 rank"
for n in 2 4; do
  "${MPI[@]}" -n $n "$TB" run -c run.ini -o out$n.h5 --overwrite --set run.batch_deals=$((997 * n)) > log$n.txt
  ok $? "run $n ranks"
  h5same out1.h5 out$n.h5 >/dev/null; ok $? "run: 1 vs $n ranks differ"
  cmp <(grep -E 'WIN|surplus|policy ' log1.txt) <(grep -E 'WIN|surplus|policy ' log$n.txt) >/dev/null; ok $? "summary differs at $n ranks"
done
# negative control: one party value nudged by one ulp must be caught
cp out1.h5 nudged.h5
"$PY" -c "
import h5py, numpy as np
with h5py.File('nudged.h5', 'r+') as f:
    v = f['/deals/value']; x = v[5]; v[5] = np.nextafter(x, np.inf)
"
h5same out1.h5 nudged.h5 >/dev/null
[ $? -eq 1 ]; ok $? "negative control: h5same missed a one-ulp change"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
