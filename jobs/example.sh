#!/bin/bash
#SBATCH --job-name=tradebal-example
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --time=00:10:00
# The bundled example: install what is missing, build, generate the example input
# (seeded, so always the same file), run the main job on it and draw its report. CPU, one process.
set -euo pipefail
# under sbatch $0 is Slurm's spooled copy: then the repository is where the job was submitted
ROOT=$(dirname "$0")/..
[ -f "$ROOT/CMakeLists.txt" ] || ROOT=${SLURM_SUBMIT_DIR:?run from the repository, or sbatch from its root}
cd "$ROOT"
jobs/install_deps.sh
jobs/build.sh
mkdir -p examples
if [ ! -f examples/example.h5 ]; then
  build/tradebal generate -o examples/example.h5 --entities 200000 --deals 2000000 --regions 12 \
    --periods 6 --sectors 24 --seed 2026
fi
build/tradebal run -c configs/example.ini --overwrite
build/tradebal report examples/example_out.h5 -o examples/report --overwrite
