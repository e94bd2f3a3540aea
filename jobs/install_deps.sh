#!/bin/bash
# Install what tradebal needs from Debian 12 packages, only if something is missing.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
      libopenblas-dev liblapacke-dev libinih-dev librandom123-dev nettle-dev
      libgraphblas-dev python3-numpy python3-scipy python3-h5py python3-matplotlib python3-openpyxl python3-pandas python3-xarray python3-pytest python3-pip python3-venv
      munge slurmctld slurmd slurm-client valgrind cppcheck clang libomp-dev libclang-rt-dev
      libmicrohttpd-dev libjansson-dev libsqlite3-dev python3-jsonschema hey)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "tradebal: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
