#!/bin/bash
# Label `slurm`: the real jobs/ scripts on a private 3-node Slurm cluster (tests/support/slurm/cluster.sh
# --nodes 3: each node its own network, UTS and mount namespace, Open MPI between them over TCP):
#  - a solve with one rank on each node equals a local 1-rank run (h5diff);
#  - mpiexec inside a 3-node allocation places a rank on each node and equals it too;
#  - a sweep array whose tasks run on the 3 nodes, merged, equals the unsharded run;
#  - nightly.sbatch end to end: the walltime signal (USR1) reaches the ranks on all nodes, they stop at
#    one safe point with one checkpoint, the job requeues itself, resumes and equals the local run;
#  - a node dies mid-run (its slurmd and rank killed): Slurm ends the job as NODE_FAIL with no output
#    file, requeues it, and once the node is back the job resumes from its checkpoint, equal bitwise,
#    leaving no temporary behind;
#  - a rank that hangs (TB_FAULT=hang) while another fails: the job ends within TB_ABORT_AFTER, exit 3;
#  - the output folder's disk is full: exit 4, the old output intact, no temporary left.
# Exit 77 (skipped) without Slurm, root or network namespaces. Usage: test_slurm_nodes.sh TRADEBAL WORKDIR
set -u
TB=$(realpath "$1") W=$(realpath -m "$2")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/support/slurm/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skipped: needs root" >&2; exit 77; }
umount "$W/full" 2>/dev/null
rm -rf "$W" && mkdir -p "$W/full" && cd "$W" || exit 1
# a small disk for the output (mounted before the nodes start, so each node's mount namespace has it)
mount -t tmpfs -o size=2m tbfull "$W/full" || { echo "skipped: cannot mount a tmpfs" >&2; exit 77; }
unmount_full() { umount "$W/full" 2>/dev/null; }
SLURM_ON_EXIT=(unmount_full)
slurm_cluster --nodes 3
# the 3 nodes share this machine's cores: Open MPI's busy polling would make every wait 7x slower
export TRADEBAL=$TB TB_ROOT=$ROOT OMPI_MCA_mpi_yield_when_idle=1
nodelist() { sed -n 's/.* NodeList=\([^ ]*\) .*/\1/p'; } # of job completion lines
nodes_of() { jobcomp "$1" | nodelist; }

# the cluster's namespaces route nowhere but their own bridge
P=$(cat "$W/cluster/netns.prefix")
for ns in $P-head $P-n1 $P-n2 $P-n3; do
  [ "$(ip -n "$ns" route show | grep -vc "^10\.77\.0\.0/24 ")" -eq 0 ]; ok $? "namespace $ns has a route out: $(ip -n "$ns" route show)"
done

"$TB" generate -o in.h5 --entities 1500 --deals 12000 --regions 4 --periods 4 --sectors 6 --seed 5 >/dev/null
printf '[input]\nfile = %s/in.h5\n[run]\nbatch_deals = 2000\n[funding]\nbudget = 40\n[assessment]\ndraws = 3\n[policy.tariff10]\nkind = tariff\nrate = 0.1\n[sweep]\nmethod = lhs\nsamples = 6\nmarket.elasticity = 0.5:3\npolicy.tariff10.rate = 0:0.4\n' "$W" > sweep.ini
"$TB" run -c sweep.ini -o local.h5 --set sweep.method=none >/dev/null

# one rank on each node (srun --mpi=pmix; TCP between the namespaces) equals the local run
jid=$(sbatch --parsable --wait -N 3 -n 3 -c 1 -o solve.log "$ROOT/jobs/solve.sbatch" sweep.ini solve.h5 --set sweep.method=none)
ok $? "3-node solve failed: $(tail -3 solve.log)"
[ "$(nodes_of "$jid")" = "n[1-3]" ]; ok $? "the solve ran on n[1-3], not $(nodes_of "$jid")"
h5same local.h5 solve.h5 >/dev/null; ok $? "the 3-node solve differs from the local run"

# mpiexec inside a 3-node allocation (Open MPI starts its daemons through srun): one rank a node, equal
[ "$(salloc -N 3 -n 3 -c 1 mpiexec --map-by node hostname 2>/dev/null | sort | tr '\n' ' ')" = "n1 n2 n3 " ]
ok $? "mpiexec --map-by node did not place a rank on each node"
salloc -N 3 -n 3 -c 1 mpiexec --map-by node "$TB" run -c sweep.ini -o mpiexec.h5 --set sweep.method=none >/dev/null 2>&1
ok $? "mpiexec in a 3-node allocation failed"
h5same local.h5 mpiexec.h5 >/dev/null; ok $? "the mpiexec run differs from the local run"

# a sweep array of 3 shards, each task a whole node (-c 2), merged, equals the unsharded run
"$TB" run -c sweep.ini -o unsharded.h5 >/dev/null 2>&1
ids=$(SBATCH_ARGS="-c 2" "$ROOT/jobs/submit_sweep.sh" sweep.ini 3 "$W/sweep.h5")
ok $? "submit_sweep.sh"
array=${ids#array } array=${array%% *} merge=${ids##* }
wait_gone "$array"; wait_gone "$merge"; ok $? "merge job $merge did not finish"
h5same unsharded.h5 sweep.h5 >/dev/null; ok $? "the merged array differs from the unsharded run"
spread=$(grep "ArrayJobId=$array " "$W/cluster/jobcomp.txt" | nodelist | sort -u | tr '\n' ' ')
[ "$spread" = "n1 n2 n3 " ]; ok $? "the array's tasks ran on n1 n2 n3, not on: $spread"

# nightly.sbatch on 3 nodes: USR1 (what --signal sends before the time limit) to every rank on every node
"$TB" generate -o big.h5 --entities 20000 --deals 300000 --regions 6 --periods 8 --sectors 10 --seed 3 >/dev/null
printf '[input]\nfile = %s/big.h5\n[run]\nbatch_deals = 30000\nprogress = always\n[funding]\nbudget = 300\n[assessment]\ndraws = 16\n[policy.tariff10]\nkind = tariff\nrate = 0.1\n' "$W" > night.ini
"$TB" run -c night.ini -o night_local.h5 --set run.progress=never >/dev/null
jid=$(sbatch --parsable -N 3 -n 3 -c 1 -o night.log "$ROOT/jobs/nightly.sbatch" night.ini "$W/night.h5")
for _ in $(seq 480); do grep -q "^\[run\]" night.log 2>/dev/null && break; sleep 0.25; done
sleep 1
scancel --signal=USR1 "$jid"
wait_requeued "$jid" night.h5; ok $? "the nightly job did not finish: $(tail -3 night.log)"
[ "$(grep -c "stopped by SIGUSR1" night.log)" -eq 1 ]; ok $? "one stop message for the 3 ranks: $(grep error night.log)"
grep -q "requeueing job $jid" night.log && grep -q "^# attempt 2" night.log; ok $? "the nightly job requeued itself"
grep -q "resuming from checkpoint 1" night.log; ok $? "the second attempt resumed from checkpoint 1"
h5same night_local.h5 night.h5 >/dev/null; ok $? "the resumed 3-node nightly result differs from a local run"

# node n3 dies mid-run (slurmd and its rank SIGKILLed) after the first checkpoint
jid=$(sbatch --parsable -N 3 -n 3 -c 1 -o fail.log "$ROOT/jobs/nightly.sbatch" night.ini "$W/fail.h5" --set checkpoint.every=1)
for _ in $(seq 480); do [ -e fail.h5.ckpt/rank-000002.ckpt ] && break; sleep 0.25; done
"$ROOT/tests/support/slurm/cluster.sh" kill-node "$W/cluster" 3
for _ in $(seq 240); do jobcomp "$jid" | grep -q "JobState=NODE_FAIL" && break; sleep 0.5; done
jobcomp "$jid" | grep -q "JobState=NODE_FAIL"; ok $? "the job did not end as NODE_FAIL: $(jobcomp "$jid")"
[ ! -e fail.h5 ]; ok $? "a job whose node died left an output file"
"$ROOT/tests/support/slurm/cluster.sh" start-node "$W/cluster" 3
for _ in $(seq 120); do [ "$(sinfo -h -n n3 -o %T 2>/dev/null)" = idle ] && break; sleep 0.5; done
wait_requeued "$jid" fail.h5; ok $? "the requeued job did not finish: $(tail -3 fail.log)"
grep -q "resuming from checkpoint" fail.log; ok $? "the requeued job did not resume from its checkpoint"
h5same night_local.h5 fail.h5 >/dev/null; ok $? "the job resumed after a node failure differs from a local run"
ls fail.h5.tmp-* fail.h5.ckpt >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "temporaries left: $(ls -d fail.h5.* 2>&1)"

# rank 2 (node n3) hangs at batch 1 while rank 0 fails there: the job ends within TB_ABORT_AFTER
t0=$(date +%s)
TB_FAULT=batch:0:1,hang:2:1 TB_ABORT_AFTER=5 sbatch --wait -N 3 -n 3 -c 1 -o hang.log "$ROOT/jobs/solve.sbatch" \
  sweep.ini hang.h5 --set sweep.method=none >/dev/null
rc=$? took=$(($(date +%s) - t0))
[ $rc -eq 3 ] && [ "$took" -lt 40 ]; ok $? "hung rank: exit $rc after $took s (expected 3 within TB_ABORT_AFTER + start-up)"
[ "$(grep -c "tradebal: error: .*injected fault" hang.log)" -eq 1 ]; ok $? "one error line: $(grep error hang.log)"
ls hang.h5* >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "the hung job left output: $(ls hang.h5* 2>&1)"

# a full disk under the output folder on every node: exit 4, the old output untouched, no temporary
printf 'an old output\n' > full/out.h5
head -c 1400000 /dev/zero > full/ballast
sbatch --wait -N 3 -n 3 -c 1 -o full.log "$ROOT/jobs/solve.sbatch" sweep.ini "$W/full/out.h5" --set sweep.method=none \
  --overwrite >/dev/null
rc=$?
[ $rc -eq 4 ]; ok $? "full disk: exit $rc, expected 4: $(grep error full.log)"
[ "$(cat full/out.h5)" = "an old output" ]; ok $? "the old output changed"
[ "$(ls full)" = "$(printf 'ballast\nout.h5')" ]; ok $? "full disk left: $(ls full)"
# stopping the cluster leaves no namespace and no daemon behind
"$ROOT/tests/support/slurm/cluster.sh" stop "$W/cluster"
[ -z "$(ip netns list | grep "^$P-")" ]; ok $? "namespaces left: $(ip netns list | grep "^$P-")"
[ -z "$(pgrep -f "$W/cluster")" ]; ok $? "processes left: $(pgrep -af "$W/cluster")"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
