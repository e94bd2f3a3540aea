#!/bin/bash
# The test command: install what is missing, build, and run every CTest test; then the same suite
# again on an AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan; any report fails the
# test it happens in). GPU tests (label gpu) exit 77 and count as skipped where no GPU is present.
# TB_SANITIZERS=0 skips the second pass (quicker local runs; CI always runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/install_deps.sh
BUILD_DIR=build jobs/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
(cd build && ctest --output-on-failure "$@")
[ "${TB_SANITIZERS:-1}" = 0 ] && exit 0
echo "== the suite again under AddressSanitizer and UndefinedBehaviorSanitizer (build-asan)"
BUILD_DIR=build-asan jobs/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTB_SANITIZE=address,undefined -DTB_CUDA=OFF
# leaks are valgrind_small's job: Open MPI's plugins keep memory LeakSanitizer cannot attribute once unloaded
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -LE valgrind "$@"
