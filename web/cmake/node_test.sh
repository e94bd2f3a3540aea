#!/bin/sh
# One folder of web/tests as a CTest test (web/CMakeLists.txt): node --test FOLDER, which runs its *.test.mjs
# (and the other names node's test runner looks for). A browser folder needs Chromium (TB_CHROMIUM): without
# it the test exits 77, which CTest counts as skipped.
# Usage: node_test.sh NODE FOLDER
node=$1
dir=$2
case "$(basename "$dir")" in
browser*)
  if [ -z "${TB_CHROMIUM:-}" ] || [ ! -x "$TB_CHROMIUM" ]; then
    echo "no Chromium found (apt-get install chromium, then configure again): $(basename "$dir") skipped"
    exit 77
  fi ;;
esac
exec "$node" --test "$dir"
