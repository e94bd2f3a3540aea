# Sourced by the scaling jobs: rank counts 1, 2, 4, ... up to the allocation (and the allocation itself),
# one timed solve per count, and a markdown table with a provenance header (tee'd to a file).

tb_rank_counts() {
  local n=${SLURM_NTASKS:-1} k=1
  while [ "$k" -lt "$n" ]; do echo "$k"; k=$((k * 2)); done
  echo "$n"
}
tb_scaling_header() { # KIND WHAT
  TB_TABLE="${SLURM_SUBMIT_DIR:-.}/scaling-$1-${SLURM_JOB_ID:-local}.md"
  {
    echo "# tradebal $1 scaling: $2"
    echo "# $("$TRADEBAL" version | head -1); host $(hostname); $(date -u +%Y-%m-%dT%H:%M:%SZ);" \
         "job ${SLURM_JOB_ID:-none}; $OMP_NUM_THREADS threads per rank; GPUs: $(nvidia-smi -L 2>/dev/null | wc -l)"
    echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo
    echo "| ranks | deals | seconds | deals/s | speedup | efficiency |"
    echo "|------:|------:|--------:|--------:|--------:|-----------:|"
  } | tee "$TB_TABLE"
  TB_T1=""
}
tb_scaling_row() { # KIND RANKS CONFIG [ARGS...]
  local kind=$1 k=$2 config=$3 out log t deals
  shift 3
  out="${TB_SCRATCH:-${SLURM_SUBMIT_DIR:-.}}/tb-$kind-$k-${SLURM_JOB_ID:-local}.h5"
  log=$("${SRUN[@]}" -n "$k" "$TRADEBAL" run -c "$config" -o "$out" --overwrite --set run.progress=never "$@")
  rm -f "$out"
  t=$(sed -n 's/.*stage seconds:.* total \([0-9.]*\).*/\1/p' <<<"$log")
  deals=$(sed -n 's/^tradebal run: \([0-9]*\) deals.*/\1/p' <<<"$log")
  TB_T1=${TB_T1:-$t} TB_K1=${TB_K1:-$k}
  awk -v k="$k" -v d="$deals" -v t="$t" -v t1="$TB_T1" -v k1="$TB_K1" -v kind="$kind" 'BEGIN {
    s = kind == "strong" ? t1 / t : t1 / t * k / k1;  e = kind == "strong" ? s * k1 / k : t1 / t;
    printf "| %d | %d | %.3f | %.4g | %.2f | %.2f |\n", k, d, t, d / t, s, e }' | tee -a "$TB_TABLE"
}
tb_scaling_footer() {
  echo | tee -a "$TB_TABLE"
  echo "speedup: strong t1/tk; weak k*t1/tk (work done per time vs one rank). efficiency: speedup / ranks." \
    | tee -a "$TB_TABLE"
  echo "# table written to $TB_TABLE"
}
