#!/bin/bash
# Label `slurm`: the real jobs/ scripts on a private one-node Slurm cluster (tests/slurm/cluster.sh):
# a solve equal to a local run; an array of 4 sweep shards whose chained merge equals the unsharded
# run; an array on a bad input whose tasks fail with exit 3, leave no output, and whose merge never runs.
# Exit 77 (skipped) without Slurm's packages or root. Usage: test_slurm.sh TRADEBAL WORKDIR
set -u
TB=$(realpath "$1") W=$(realpath -m "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
env_line=$("$ROOT/tests/slurm/cluster.sh" start "$W/cluster")
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -ne 0 ] && { echo "FAIL: the cluster did not start" >&2; exit 1; }
eval "$env_line"
trap '"$ROOT/tests/slurm/cluster.sh" stop "$W/cluster"' EXIT
export TRADEBAL=$TB TB_ROOT=$ROOT
pass=0 fail=0
ok() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2" >&2; fi; }
wait_gone() { for _ in $(seq 240); do [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0; sleep 0.5; done; return 1; }

"$TB" generate -o in.h5 --entities 1500 --deals 12000 --regions 4 --periods 4 --sectors 6 --seed 5 >/dev/null
printf '[input]\nfile = %s/in.h5\n[funding]\nbudget = 40\n[assessment]\ndraws = 3\n[policy.tariff10]\nkind = tariff\nrate = 0.1\n[sweep]\nmethod = lhs\nsamples = 8\nmarket.elasticity = 0.5:3\npolicy.tariff10.rate = 0:0.4\n' "$W" > sweep.ini

# a solve at 2 ranks (srun --mpi=pmix) equals a local single-process run
"$TB" run -c sweep.ini -o local.h5 --set sweep.method=none >/dev/null
sbatch --wait -n 2 -c 1 -o solve.log "$ROOT/jobs/solve.sbatch" sweep.ini solve.h5 --set sweep.method=none >/dev/null
ok $? "solve job failed: $(tail -3 solve.log)"
grep -q "^# job .* on .* at 20" solve.log && grep -q "^# tradebal .*GPUs:" solve.log
ok $? "the job prints its host, date, GPUs and version"
h5diff --exclude-attribute / local.h5 solve.h5 >/dev/null; ok $? "solve job differs from the local run"

# an array of 4 shards, then the merge (afterok), equals the unsharded run
"$TB" run -c sweep.ini -o unsharded.h5 >/dev/null 2>&1
ids=$(SBATCH_ARGS="-c 1" "$ROOT/jobs/submit_sweep.sh" sweep.ini 4 "$W/sweep.h5")
ok $? "submit_sweep.sh"
merge=${ids##* }
wait_gone "$merge"; ok $? "merge job $merge did not finish"
h5diff --exclude-attribute / unsharded.h5 sweep.h5 >/dev/null; ok $? "merged array differs from the unsharded run"

# a bad input: every task fails with exit 3, no shard files, the merge is never run
cp in.h5 bad.h5
/usr/bin/python3 -c "import h5py; f = h5py.File('bad.h5', 'r+'); f['/deals/comp_prob'][0] = 1.5"
ids=$(SBATCH_ARGS="-c 1" "$ROOT/jobs/submit_sweep.sh" sweep.ini 4 "$W/bad_sweep.h5" --set input.file="$W/bad.h5")
array=${ids#array } array=${array%% *} merge=${ids##* }
wait_gone "$array"; wait_gone "$merge"
sleep 1
failed=$(grep "ArrayJobId=$array " "$W/cluster/jobcomp.txt" | grep "JobState=FAILED" | grep -c " ExitCode=3:0")
[ "$failed" -eq 4 ]; ok $? "4 failed tasks with exit 3 in the job log, found $failed"
ls bad_sweep.shard-*.h5 bad_sweep.h5 >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "a failed task left output"
grep -q "comp_prob" tradebal-sweep-"$array"_0.log; ok $? "the task's log names the dataset"
grep -q "JobId=$merge .*JobState=COMPLETED" "$W/cluster/jobcomp.txt"; [ $? -ne 0 ]; ok $? "the merge ran after failed shards"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
