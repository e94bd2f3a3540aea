#!/bin/bash
# The test command: install what is missing, build, and run every CTest test.
# GPU tests (label gpu) exit 77 and count as skipped where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/install_deps.sh
BUILD_DIR=build jobs/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd build
ctest --output-on-failure "$@"
