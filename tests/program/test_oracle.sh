#!/bin/bash
# tradebal against the independent NumPy implementation (bench/peers/numpy_deals.py) for
# every value rule, split rule and scope, and with the scalar-pow fallback: per-party values, transfers, final values,
# surplus and bids within 1e-12 relative, statuses identical.
# Usage: test_oracle.sh TRADEBAL PYTHON PEER WORKDIR
set -u
TB=$1 PY=$2 PEER=$3 W=$4
mkdir -p "$W" && cd "$W" || exit 1
"$TB" generate -o in.h5 --entities 2000 --deals 40000 --seed 5 --overwrite >/dev/null || exit 1
printf '[input]\nfile = in.h5\n' > o.ini
pass=0 fail=0
for rule in expected min_adjusted; do
  for split in nash egalitarian none; do
    for scope in repair all; do
      "$TB" run -c o.ini -o out.h5 --overwrite --set model.value_rule=$rule --set split.rule=$split \
        --set split.scope=$scope --set model.other_factor=0.4 >/dev/null || { fail=$((fail + 1)); continue; }
      if "$PY" "$PEER" in.h5 --check out.h5 --rule $rule --split $split --scope $scope --other-factor 0.4 --batch 7000; then
        pass=$((pass + 1))
      else
        fail=$((fail + 1)); echo "FAIL: $rule $split $scope" >&2
      fi
    done
  done
done
# the CPU backend's scalar-pow fallback (machines without AVX2 or libmvec)
TB_NO_VECTOR_POW=1 "$TB" run -c o.ini -o out.h5 --overwrite >/dev/null &&
  "$PY" "$PEER" in.h5 --check out.h5 && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: scalar pow" >&2; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
