#!/bin/bash
# cppcheck over host/ and mpi/ (issue 8): warnings, portability and performance must be clean.
# Exits 77 (skipped) without cppcheck. Usage: test_cppcheck.sh SOURCE_DIR
set -uo pipefail
command -v cppcheck >/dev/null || { echo "cppcheck not found: skipped"; exit 77; }
cd "$1"
cppcheck --enable=warning,portability,performance --std=c11 --inline-suppr -q -j2 --error-exitcode=1 \
  $(for d in host/*/ mpi; do printf -- "-I %s " "$d"; done) --suppress=missingIncludeSystem host mpi
rc=$?
[ $rc -eq 0 ] && echo "cppcheck: host/ and mpi/ clean"
exit $rc
