# Sourced by the `slurm` tests: a private cluster started for the test and stopped on exit, checks
# counted, and waits on jobs. Needs ROOT (the repository) and W (the test's folder) set.
# slurm_cluster [--nodes N]: start it (exit 77, skipped, where it cannot run) and stop it on exit
slurm_cluster() {
  local env_line rc=0
  trap 'slurm_teardown' EXIT # first: what the test set up (SLURM_ON_EXIT) is undone even if the start fails
  env_line=$("$ROOT/tests/support/slurm/cluster.sh" start "$W/cluster" "$@") || rc=$?
  [ $rc -eq 77 ] && exit 77
  [ $rc -ne 0 ] && { echo "FAIL: the cluster did not start" >&2; exit 1; }
  eval "$env_line"
}
slurm_teardown() {
  "$ROOT/tests/support/slurm/cluster.sh" stop "$W/cluster"
  for f in "${SLURM_ON_EXIT[@]}"; do $f; done
}
SLURM_ON_EXIT=()
pass=0 fail=0
ok() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2" >&2; fi; }
h5same() { /usr/bin/python3 "$ROOT/tests/support/h5same.py" "$@"; }
wait_gone() { for _ in $(seq 240); do [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0; sleep 0.5; done; return 1; }
# wait_requeued JOB FILE: wait until a requeued JOB has written FILE and left the queue. A requeued job
# waits for a begin time Slurm sets 2 min ahead; start it sooner, but not within the second its old
# credential was revoked (slurmd would refuse the launch: "Job credential revoked")
wait_requeued() {
  local state pending=0
  for _ in $(seq 360); do
    state=$(squeue -h -j "$1" -o "%T %r" 2>/dev/null)
    [ -z "$state" ] && [ -e "$2" ] && return 0
    if [ "$state" = "PENDING BeginTime" ]; then
      pending=$((pending + 1))
      [ "$pending" -eq 8 ] && scontrol update JobId="$1" StartTime=now 2>/dev/null
    fi
    sleep 0.5
  done
  return 1
}
# the job's line of the job completion log (Slurm's jobcomp/filetxt)
jobcomp() { grep "JobId=$1 " "$W/cluster/jobcomp.txt"; }
