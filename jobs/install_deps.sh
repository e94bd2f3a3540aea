#!/bin/bash
# Install what tradebal needs from Debian 12 packages, only if something is missing; and Node.js 20 (web/: the
# JavaScript client and the dashboard) from NodeSource when `node` is missing or older than 20 (Debian 12 ships
# 18; a newer node is left alone). The browser tests drive Debian's chromium.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
      libopenblas-dev liblapacke-dev libinih-dev librandom123-dev nettle-dev
      libgraphblas-dev python3-numpy python3-scipy python3-h5py python3-matplotlib python3-openpyxl python3-pandas python3-xarray python3-pytest python3-pip python3-venv
      munge slurmctld slurmd slurm-client iproute2 util-linux valgrind cppcheck clang libomp-dev libclang-rt-dev
      libmicrohttpd-dev libjansson-dev libsqlite3-dev python3-jsonschema hey chromium)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tradebal: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p' || true)
if [ -z "$node_major" ] || [ "$node_major" -lt 20 ]; then
  echo "tradebal: installing Node.js 20 from NodeSource (node: ${node_major:-none})" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg >/dev/null
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
    $SUDO gpg --dearmor --yes -o /usr/share/keyrings/nodesource.gpg
  printf 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\nArchitectures: %s\nSigned-By: /usr/share/keyrings/nodesource.gpg\n' \
    "$(dpkg --print-architecture)" | $SUDO tee /etc/apt/sources.list.d/nodesource.sources >/dev/null
  $SUDO apt-get update -qq
  # NodeSource's nodejs carries npm, and its 20.x is newer than Debian's 18.x, so it replaces that
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs >/dev/null
fi
