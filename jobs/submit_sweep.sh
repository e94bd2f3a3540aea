#!/bin/bash
# Submit a sweep as an array of N shards and a merge that runs only if every shard succeeded
# (--dependency=afterok). Extra sbatch options (account, partition, time) go in SBATCH_ARGS.
# Usage: jobs/submit_sweep.sh CONFIG N OUTPUT [--set section.key=value ...]; prints the two job ids.
set -euo pipefail
CONFIG=${1:?usage: jobs/submit_sweep.sh CONFIG N OUTPUT [--set k=v ...]}
N=${2:?usage: jobs/submit_sweep.sh CONFIG N OUTPUT [--set k=v ...]}
OUTPUT=${3:?usage: jobs/submit_sweep.sh CONFIG N OUTPUT [--set k=v ...]}
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
export TB_ROOT=${TB_ROOT:-$(dirname "$HERE")}  # the jobs find the repository through it
read -r -a EXTRA <<< "${SBATCH_ARGS:-}"
PREFIX=${OUTPUT%.h5}
array=$(sbatch --parsable "${EXTRA[@]}" --array=0-$((N - 1)) "$HERE/sweep_array.sbatch" "$CONFIG" "$PREFIX" "$@")
array=${array%%;*}
merge=$(sbatch --parsable "${EXTRA[@]}" --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  "$HERE/merge.sbatch" "$PREFIX" "$N" "$OUTPUT")
echo "array $array merge ${merge%%;*}"
