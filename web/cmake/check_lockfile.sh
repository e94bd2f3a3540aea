#!/bin/sh
# web_lockfile: web/package-lock.json pins what the package.json files ask for. `npm ci --dry-run` refuses a
# lockfile out of step with them ("Missing: X from lock file", "Invalid: lock file's X does not satisfy Y");
# it runs on a copy of those files, so nothing in web/ is touched, and offline (npm's cache).
# Usage: check_lockfile.sh NPM WEB_DIR
set -eu
npm=$1
web=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$web/package.json" "$web/package-lock.json" "$tmp/"
for p in "$web"/*/package.json; do
  [ -f "$p" ] || continue
  d=$(basename "$(dirname "$p")")
  [ "$d" = node_modules ] && continue
  mkdir -p "$tmp/$d"
  cp "$p" "$tmp/$d/"
done
cd "$tmp"
"$npm" ci --dry-run --offline --ignore-scripts --no-audit --no-fund
echo "web/package-lock.json matches the package.json files"
