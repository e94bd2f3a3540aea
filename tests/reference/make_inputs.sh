#!/bin/bash
# How the inputs of the reference cases were made: run once, and the inputs are committed; no test runs this
# (a reference input stays fixed, so its expected.json stays meaningful). Documented in tests/README.md.
# Usage: make_inputs.sh TRADEBAL SHARED_DIR   (SHARED_DIR: the shared/ folder with data/real)
set -euo pipefail
TB=$(realpath "$1") REAL=$(realpath "$2")/data/real
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pack() { rm -f "$2" && h5repack -l CONTI "$1" "$2"; }  # contiguous datasets: a third of generate's chunked size

# generated_small: a seeded synthetic economy, 40 entities, 120 deals, 3 regions, 3 periods, 4 sectors
"$TB" generate -o "$T/gen.h5" --entities 40 --deals 120 --regions 3 --periods 3 --sectors 4 --seed 2101 --overwrite
pack "$T/gen.h5" "$HERE/generated_small/input.h5"

# boundary_base: the hand-readable base world of the boundary corpus (tests/corpus/boundary/make_boundary.py)
/usr/bin/python3 - "$HERE/../corpus/boundary" "$T" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import make_boundary
make_boundary.write("base", make_boundary.cases()["base_two_party"], sys.argv[2])
PY
pack "$T/base.h5" "$HERE/boundary_base/input.h5"

# bea_us2023: BEA's 1997 summary input-output table (131 industries) and the Census 2023 goods trade of the
# United States with its 2 largest partners and the rest of the world, by month, under 80 seeded deals
BEA=$REAL/bea-io-1997-summary/raw
"$TB" import bea --direct "$BEA/IODirectRequirements.txt" --make "$BEA/IOMakeSummary.txt" \
  --use "$BEA/iousesummary.txt" --total "$BEA/IndbyIndTRSum.txt" --codes "$BEA/IO-CodeSummary.txt" -o "$T/io.h5"
"$TB" import census "$REAL/us-census-goods-by-country/country.csv" --year 2023 --partners 2 -o "$T/trade.h5"
"$TB" generate -o "$T/deals.h5" --entities 30 --deals 80 --regions 4 --periods 12 --sectors 131 --seed 1997
"$TB" import assemble "$T/deals.h5" --io "$T/io.h5" --trade "$T/trade.h5" -o "$T/us.h5"
pack "$T/us.h5" "$HERE/bea_us2023/input.h5"
for c in generated_small boundary_base bea_us2023; do "$TB" validate "$HERE/$c/input.h5"; done
