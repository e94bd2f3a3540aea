#!/bin/bash
# The test command: install what is missing, build, and run every CTest test (the web client's and the
# dashboard's in a real browser too, label web); then the same suite again on an AddressSanitizer +
# UndefinedBehaviorSanitizer build (build-asan; any report fails the test it happens in), without the web
# tests (their C side is the server the serve tests already run there; CI keeps under its time). GPU tests
# (label gpu) exit 77 and count as skipped where no GPU is present.
# Last, the libFuzzer targets (clang, build-fuzz) run 20 s each from their seed corpora.
# TB_SANITIZERS=0 skips the second pass and the fuzzing (quicker local runs; CI always runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/install_deps.sh
BUILD_DIR=build jobs/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
(cd build && ctest --output-on-failure "$@")
[ "${TB_SANITIZERS:-1}" = 0 ] && exit 0
echo "== the suite again under AddressSanitizer and UndefinedBehaviorSanitizer (build-asan)"
BUILD_DIR=build-asan jobs/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTB_SANITIZE=address,undefined -DTB_CUDA=OFF \
  -DTB_WEB=OFF
# leaks are valgrind_small's job: Open MPI's plugins keep memory LeakSanitizer cannot attribute once
# unloaded; malloc returns NULL for absurd sizes as in production (HDF5 asks for what a damaged header says)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:allocator_may_return_null=1:suppressions=$PWD/tests/support/asan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# not valgrind (it cannot run an ASan binary) nor memory_plan (label rss: ASan's redzones and quarantine
# inflate the peak memory it compares its estimates with), nor the web tests (above), nor the 3-node cluster
# (label nodes: minutes of Slurm waits, for C code the one-node Slurm tests already run under ASan)
(cd build-asan && ctest --output-on-failure -LE "valgrind|rss|web|nodes" "$@")
echo "== libFuzzer smoke run (build-fuzz, clang)"
BUILD_DIR=build-fuzz jobs/build.sh -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTB_SANITIZE=address,undefined -DTB_FUZZ=ON -DTB_CUDA=OFF -DTB_WEB=OFF
cd build-fuzz
ctest --output-on-failure -L fuzz
