#!/bin/bash
# Everything issues 3 and 5 ask of a GPU machine, in one command that needs only a compiler,
# CMake and the CUDA toolkit: build the core and kernels (no MPI, no HDF5), run the gpu
# tests, compute-sanitizer memcheck on them, and the GPU benchmark with the CuPy peer.
# Results go to $OUT (the device tool's folder) or bench/results/.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_DIR:-build-gpu}
DEST=${OUT:-bench/results}
mkdir -p "$DEST"
export PATH=$PATH:/usr/local/cuda/bin
cmake -S . -B "$B" -DTB_MPI=OFF -DTB_HDF5=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=${ARCH:-90} &&
  cmake --build "$B" -j"$(nproc)" || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$DEST/gpu_device.txt"
(cd "$B" && ctest -L gpu --output-on-failure) 2>&1 | tee "$DEST/gpu_tests.txt"
TB_GPU_TEST_DEALS=20000 compute-sanitizer --tool memcheck --error-exitcode 1 "$B/tests/gpu/test_gpu_deals" 2>&1 |
  tail -5 | tee "$DEST/gpu_memcheck.txt"
compute-sanitizer --tool memcheck --error-exitcode 1 "$B/tests/gpu/test_gpu_network" 2>&1 |
  tail -5 | tee -a "$DEST/gpu_memcheck.txt"
TB_TEST_LU_S=500 compute-sanitizer --tool memcheck --error-exitcode 1 "$B/tests/unit/test_leontief" ../shared/data/real cuda \
  2>&1 | tail -5 | tee -a "$DEST/gpu_memcheck.txt"
for S in 4000 10000; do
  "$B/bench/tb_bench_lu" $S 5 cuda 2>&1 | tee -a "$DEST/lu-gpu-$(date -u +%Y%m%d).md"
done
"$B/bench/tb_bench_gpu_deals" "${DEALS:-10000000}" 7 python3 bench/peers/cupy_deals.py 2>&1 |
  tee "$DEST/deals-gpu-$(date -u +%Y%m%d).md"
