#!/bin/bash
#SBATCH --job-name=tradebal-us2023
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --time=00:15:00
# The worked example on real data (docs/worked-example.md): import the BEA 1997 summary
# input-output tables and the Census 2023 goods trade by partner, put seeded synthetic deals on
# them, validate, run the policies, run a sensitivity sweep and draw the report.
# Fresh downloads: BEA_DIR=folder-with-the-BEA-txt-files CENSUS=country.xlsx-or-.csv YEAR=2023 jobs/us2023.sh
# Size: DEALS=200000 ENTITIES=20000 (defaults); OUT=examples/us2023 (default).
set -euo pipefail
ROOT=$(dirname "$0")/..
[ -f "$ROOT/CMakeLists.txt" ] || ROOT=${SLURM_SUBMIT_DIR:?run from the repository, or sbatch from its root}
cd "$ROOT"
REAL=${REAL:-../shared/data/real}
BEA_DIR=${BEA_DIR:-$REAL/bea-io-1997-summary/raw}
CENSUS=${CENSUS:-$REAL/us-census-goods-by-country/country.csv}
YEAR=${YEAR:-2023}
PARTNERS=${PARTNERS:-10}
DEALS=${DEALS:-200000}
ENTITIES=${ENTITIES:-20000}
OUT=${OUT:-examples/us2023}
TB=${TB:-build/tradebal}
[ -x "$TB" ] || { jobs/install_deps.sh && jobs/build.sh; }
mkdir -p "$OUT"
set -x
"$TB" import bea --direct "$BEA_DIR/IODirectRequirements.txt" --make "$BEA_DIR/IOMakeSummary.txt" \
  --use "$BEA_DIR/iousesummary.txt" --total "$BEA_DIR/IndbyIndTRSum.txt" --codes "$BEA_DIR/IO-CodeSummary.txt" \
  -o "$OUT/io.h5" --overwrite
"$TB" import census "$CENSUS" --year "$YEAR" --partners "$PARTNERS" -o "$OUT/trade.h5" --overwrite
"$TB" generate -o "$OUT/deals.h5" --entities "$ENTITIES" --deals "$DEALS" --regions $((PARTNERS + 2)) \
  --periods 12 --sectors 131 --seed 2023 --overwrite
"$TB" import assemble "$OUT/deals.h5" --io "$OUT/io.h5" --trade "$OUT/trade.h5" -o "$OUT/us2023.h5" --overwrite
"$TB" validate "$OUT/us2023.h5"
"$TB" run -c configs/us2023.ini --set input.file="$OUT/us2023.h5" -o "$OUT/us2023_out.h5" --overwrite
"$TB" run -c configs/us2023.ini --set input.file="$OUT/us2023.h5" -o "$OUT/us2023_sweep.h5" --overwrite \
  --set assessment.draws=0 --set sweep.method=lhs --set sweep.samples=16 --set sweep.seed=7 \
  --set sweep.market.elasticity=0.5:3 --set sweep.policy.tariff10.rate=0:0.3 \
  --set sweep.policy.certificates.ratio=0.5:1 --set sweep.io.substitution=0.5:1
"$TB" report "$OUT/us2023_out.h5" "$OUT/us2023_sweep.h5" -o "$OUT/report" --overwrite
