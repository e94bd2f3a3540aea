#!/usr/bin/python3
"""CuPy peer of the Leontief LU on a GPU: cupyx.scipy.linalg.lu_factor(I - A) for a random A of
size S with column sums < 0.9, median of REPEATS. Prints `seconds` from host memory (the upload
included, as tradebal's factorisation starts from the host) and `device_seconds` for a matrix
already on the device. Exits 3 when CuPy is missing. Usage: cupy_lu.py S REPEATS"""
import sys
import time

import numpy as np

try:
    import cupy as cp
    import cupyx.scipy.linalg
except ImportError:
    print("skip: CuPy is not installed")
    sys.exit(3)

S, reps = int(sys.argv[1]), int(sys.argv[2])
M = np.eye(S) - np.random.default_rng(1).random((S, S)) * 0.9 / S


def median_seconds(work):
    work()  # warm-up: handles, workspace, kernels
    cp.cuda.Device().synchronize()
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        work()
        cp.cuda.Device().synchronize()
        runs.append(time.perf_counter() - t0)
    return sorted(runs)[len(runs) // 2]


Md = cp.asarray(M)
print(f"seconds {median_seconds(lambda: cupyx.scipy.linalg.lu_factor(cp.asarray(M))):.6g}")
print(f"device_seconds {median_seconds(lambda: cupyx.scipy.linalg.lu_factor(Md, overwrite_a=False)):.6g}")
