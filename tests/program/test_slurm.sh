#!/bin/bash
# Label `slurm`: the real jobs/ scripts on a private one-node Slurm cluster (tests/support/slurm/cluster.sh):
# a solve equal to a local run; an array of 4 sweep shards whose chained merge equals the unsharded
# run; an array on a bad input whose tasks fail with exit 3, leave no output, and whose merge never runs;
# nightly.sbatch sent USR1 checkpoints, requeues itself and completes with the same result; the strong
# and weak scaling jobs print their tables.
# Exit 77 (skipped) without Slurm's packages or root. Usage: test_slurm.sh TRADEBAL WORKDIR
set -u
TB=$(realpath "$1") W=$(realpath -m "$2")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/support/slurm/lib.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
slurm_cluster
export TRADEBAL=$TB TB_ROOT=$ROOT

"$TB" generate -o in.h5 --entities 1500 --deals 12000 --regions 4 --periods 4 --sectors 6 --seed 5 >/dev/null
printf '[input]\nfile = %s/in.h5\n[funding]\nbudget = 40\n[assessment]\ndraws = 3\n[policy.tariff10]\nkind = tariff\nrate = 0.1\n[sweep]\nmethod = lhs\nsamples = 8\nmarket.elasticity = 0.5:3\npolicy.tariff10.rate = 0:0.4\n' "$W" > sweep.ini

# a solve at 2 ranks (srun --mpi=pmix) equals a local single-process run
"$TB" run -c sweep.ini -o local.h5 --set sweep.method=none >/dev/null
sbatch --wait -n 2 -c 1 -o solve.log "$ROOT/jobs/solve.sbatch" sweep.ini solve.h5 --set sweep.method=none >/dev/null
ok $? "solve job failed: $(tail -3 solve.log)"
grep -q "^# job .* on .* at 20" solve.log && grep -q "^# tradebal .*GPUs:" solve.log
ok $? "the job prints its host, date, GPUs and version"
h5same local.h5 solve.h5 >/dev/null; ok $? "solve job differs from the local run"

# an array of 4 shards, then the merge (afterok), equals the unsharded run
"$TB" run -c sweep.ini -o unsharded.h5 >/dev/null 2>&1
ids=$(SBATCH_ARGS="-c 1" "$ROOT/jobs/submit_sweep.sh" sweep.ini 4 "$W/sweep.h5")
ok $? "submit_sweep.sh"
merge=${ids##* }
wait_gone "$merge"; ok $? "merge job $merge did not finish"
h5same unsharded.h5 sweep.h5 >/dev/null; ok $? "merged array differs from the unsharded run"

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
# nightly.sbatch sent USR1: its ranks checkpoint and exit 7, the job requeues itself, resumes and
# completes with the local run's result
"$TB" generate -o big.h5 --entities 20000 --deals 300000 --regions 6 --periods 8 --sectors 10 --seed 3 >/dev/null
printf '[input]\nfile = %s/big.h5\n[run]\nbatch_deals = 30000\nprogress = always\n[funding]\nbudget = 300\n[assessment]\ndraws = 3\n[policy.tariff10]\nkind = tariff\nrate = 0.1\n' "$W" > night.ini
"$TB" run -c night.ini -o night_local.h5 --set run.progress=never >/dev/null
jid=$(sbatch --parsable -n 2 -c 1 -o night.log "$ROOT/jobs/nightly.sbatch" night.ini "$W/night.h5")
for _ in $(seq 480); do grep -q "^\[run\]" night.log 2>/dev/null && break; sleep 0.25; done
scancel --signal=USR1 "$jid"
wait_requeued "$jid" night.h5
grep -q "stopped by SIGUSR1" night.log; ok $? "the nightly job's ranks got USR1 and stopped: $(grep error night.log)"
grep -q "requeueing job $jid" night.log && grep -q "^# attempt 2" night.log; ok $? "the nightly job requeued itself"
grep -q "resuming from checkpoint 1" night.log; ok $? "the second attempt resumed from the checkpoint"
grep -q "JobId=$jid .*JobState=COMPLETED" "$W/cluster/jobcomp.txt"; ok $? "the requeued job completed"
h5same night_local.h5 night.h5 >/dev/null; ok $? "the resumed nightly result differs from a local run"
[ ! -e night.h5.ckpt ]; ok $? "the finished job removed its checkpoint"

# the scaling jobs: a table row per rank count (1 and 2 here) with numbers in it
sbatch --wait -n 2 -c 1 -o strong.log "$ROOT/jobs/scaling_strong.sbatch" sweep.ini --set sweep.method=none >/dev/null
ok $? "strong scaling job failed: $(tail -3 strong.log)"
[ "$(grep -cE '^\| [12] \| 12000 \| [0-9.]+ \|' strong.log)" -eq 2 ]; ok $? "strong scaling table: $(grep '^|' strong.log)"
TB_SCRATCH=$W sbatch --wait -n 2 -c 1 -o weak.log "$ROOT/jobs/scaling_weak.sbatch" sweep.ini 4000 --set sweep.method=none >/dev/null
ok $? "weak scaling job failed: $(tail -3 weak.log)"
grep -qE '^\| 1 \| 4000 \|' weak.log && grep -qE '^\| 2 \| 8000 \|' weak.log; ok $? "weak scaling table: $(grep '^|' weak.log)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
