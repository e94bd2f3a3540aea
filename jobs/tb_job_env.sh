# Sourced by the Slurm scripts: find the repository and the binary, set the threads from the
# allocation, and print where and what runs (host, date, GPUs, tradebal version).
TRADEBAL=${TRADEBAL:-$TB_ROOT/build/tradebal}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
# No OMP_PROC_BIND here: where Slurm does not bind tasks (TaskPlugin=task/none) every rank would pin
# its threads to the same first core (measured: a 2-rank solve 7x slower). Set it where tasks are bound.
SRUN=(srun --mpi=pmix)
# tb_status RC: when TB_STATUS_FILE is set (tradebal serve sets it), write "exit RC" there, tmp + rename so a
# reader never sees half a file: the server takes a run's true end from it, not from Slurm's state alone.
# A job killed from outside writes nothing (bash dies with the signal), which is how the server tells.
tb_status() {
  [ -n "${TB_STATUS_FILE:-}" ] || return 0
  printf 'exit %d\n' "$1" > "$TB_STATUS_FILE.tmp" && mv -f "$TB_STATUS_FILE.tmp" "$TB_STATUS_FILE"
}
echo "# job ${SLURM_JOB_ID:-none}${SLURM_ARRAY_TASK_ID:+ task $SLURM_ARRAY_TASK_ID} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# $("$TRADEBAL" version 2>&1 | head -1); ranks ${SLURM_NTASKS:-1} x $OMP_NUM_THREADS threads;" \
     "GPUs: $(nvidia-smi -L 2>/dev/null | wc -l) ${CUDA_VISIBLE_DEVICES:+(CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES)}"

# `tradebal run --resume auto ARGS...` under srun. Exit 7 means it stopped at a safe point (SIGUSR1 from
# --signal, SIGTERM, or its walltime) with a checkpoint written: then the job requeues itself
# (scontrol requeue; the job needs --requeue) and resumes from the checkpoint when it runs again, at
# most TB_MAX_REQUEUES times (10). Any other code is returned.
tb_run_resumable() {
  local rc=0 n=${SLURM_RESTART_COUNT:-0} max=${TB_MAX_REQUEUES:-10}
  "${SRUN[@]}" "$TRADEBAL" run --resume auto "$@" || rc=$?
  [ "$rc" -eq 7 ] && [ -n "${SLURM_JOB_ID:-}" ] || return "$rc"
  if [ "$n" -ge "$max" ]; then
    echo "# stopped at a safe point after $n requeues (TB_MAX_REQUEUES=$max): resubmit to continue" >&2
    return 7
  fi
  echo "# stopped at a safe point with a checkpoint: requeueing job $SLURM_JOB_ID (restart $((n + 1)) of at most $max)"
  scontrol requeue "$SLURM_JOB_ID" || return 7
  sleep 60 # Slurm ends this attempt; the requeued one resumes
  return 7
}
