# Sourced by the Slurm scripts: find the repository and the binary, set the threads from the
# allocation, and print where and what runs (host, date, GPUs, tradebal version).
TRADEBAL=${TRADEBAL:-$TB_ROOT/build/tradebal}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PROC_BIND=close OMP_PLACES=cores
SRUN=(srun --mpi=pmix)
echo "# job ${SLURM_JOB_ID:-none}${SLURM_ARRAY_TASK_ID:+ task $SLURM_ARRAY_TASK_ID} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# $("$TRADEBAL" version 2>&1 | head -1); ranks ${SLURM_NTASKS:-1} x $OMP_NUM_THREADS threads;" \
     "GPUs: $(nvidia-smi -L 2>/dev/null | wc -l) ${CUDA_VISIBLE_DEVICES:+(CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES)}"
