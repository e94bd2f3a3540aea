#!/bin/bash
# Runs the libFuzzer targets for SECONDS each from seed corpora: the hostile-input corpus of
# tests/corpus/make_corpus.py over a tiny valid input, the configs of configs/ and the tests, and the
# requests of tests/fuzz/request_seeds (fuzz_request: tradebal serve's parsing and handlers, in process).
# New inputs that libFuzzer keeps go to WORK/*-found; a crash leaves WORK/crash-* (make it a corpus
# case). SECONDS > 0 fuzzes that long per target (README "Fuzzing": 3600); CI passes "smoke": a fixed
# seed and a fixed number of runs, the same inputs every time, so CI cannot fail by luck.
# Usage: run_fuzz.sh TRADEBAL FUZZ_BIN_DIR WORK SECONDS|smoke
set -euo pipefail
TB=$1 BIN=$2 WORK=$3 SECS=$4
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
mkdir -p "$WORK" && cd "$WORK"
# Open MPI's init keeps memory LeakSanitizer cannot attribute: leaks are checked in the config target only
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
SUPP=suppressions=$HERE/../support/asan.supp  # HDF5 1.10.8 over-reads some damaged chunk B-trees (see the file)
export ASAN_OPTIONS=detect_leaks=0:$SUPP UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rm -rf seeds-input seeds-config && mkdir -p seeds-config input-found config-found request-found
"$TB" generate -o base.h5 --entities 20 --deals 30 --regions 2 --periods 3 --sectors 2 --seed 1 --overwrite >/dev/null
$PY "$HERE/../corpus/make_corpus.py" base.h5 seeds-input >/dev/null
rm -f seeds-input/*.json seeds-input/*.bin
cp "$HERE"/../corpus/found/* seeds-input/  # what earlier fuzzing found
cp "$HERE"/../../configs/*.ini seeds-config/
printf '[input]\nfile = in.h5\n[policy.t]\nkind = tariff\nrate = 0.1\n[sweep]\nmethod = lhs\nmarket.elasticity = 1:2\n' \
  > seeds-config/policy_sweep.ini
printf 'policy.certs.ratio=0.9' > seeds-config/set.txt
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1)
if [ "$SECS" = smoke ]; then  # from the seeds alone: what earlier runs kept would change the inputs
  rm -rf config-found input-found request-found && mkdir -p config-found input-found request-found
  CONFIG_RUN=(-seed=20261124 -runs=60000) INPUT_RUN=(-seed=20261124 -runs=2500) REQUEST_RUN=(-seed=20261124 -runs=20000)
else
  CONFIG_RUN=(-max_total_time="$SECS") INPUT_RUN=(-max_total_time="$SECS") REQUEST_RUN=(-max_total_time="$SECS")
fi
ASAN_OPTIONS=detect_leaks=1:$SUPP "$BIN/fuzz_config" "${LIMITS[@]}" "${CONFIG_RUN[@]}" -dict="$HERE/config.dict" config-found seeds-config 2>config.log ||
  { grep -A30 "ERROR:" config.log | head -60; tail -5 config.log; exit 1; }
grep -E "stat::number_of_executed_units" config.log
# HDF5 itself mallocs what a damaged header says (7e18 bytes, say) and fails cleanly on NULL, as in
# production: the allocator returns NULL here too instead of aborting; our own allocations stay bounded
# by the RSS limit (and tests/corpus/test_corpus.py's peak-memory check)
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:$SUPP \
  "$BIN/fuzz_input" "${LIMITS[@]}" "${INPUT_RUN[@]}" -malloc_limit_mb=1048576 input-found seeds-input 2>input.log ||
  { grep -A30 "ERROR:" input.log | head -60; tail -5 input.log; exit 1; }
grep -E "stat::number_of_executed_units" input.log
# requests through tb_http_dispatch on an in-process server over a small HDF5 file (no MPI: leaks checked)
ASAN_OPTIONS=detect_leaks=1:$SUPP "$BIN/fuzz_request" "${LIMITS[@]}" "${REQUEST_RUN[@]}" -dict="$HERE/request.dict" \
  request-found "$HERE/request_seeds" 2>request.log ||
  { grep -A30 "ERROR:" request.log | head -60; tail -5 request.log; exit 1; }
grep -E "stat::number_of_executed_units" request.log
echo "fuzz ($SECS): every target ran with no crash and no sanitizer report"
