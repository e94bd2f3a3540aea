#!/usr/bin/python3
"""SciPy peer of the section 6 Jacobi iteration: x = b + alpha * (W~^T @ x) with W~ row-normalised
(w / max(1, row sum)), as a CSR matrix. Usage: scipy_jacobi.py INPUT ITERS"""
import sys
import time

import h5py
import numpy as np
import scipy.sparse as sp

with h5py.File(sys.argv[1], "r") as f:
    ptr, col, w = f["/network/ptr"][:], f["/network/col"][:], f["/network/weight"][:]
iters = int(sys.argv[2])
N = len(ptr) - 1
rows = np.add.reduceat(w, ptr[:-1]) if len(w) else np.zeros(N)
rows[np.diff(ptr) == 0] = 0.0
W = sp.csr_matrix((w / np.repeat(np.maximum(1.0, rows), np.diff(ptr)), col, ptr), shape=(N, N))
Wt = W.T.tocsr()
b = np.ones(N)
x = b + 0.3 * (Wt @ b)
runs = []
for _ in range(5):  # median of 5, as tb_bench_network does
    t0 = time.perf_counter()
    for _ in range(iters):
        x = b + 0.3 * (Wt @ x)
    runs.append((time.perf_counter() - t0) / iters)
print(f"seconds_per_iteration {sorted(runs)[2]:.6g}")
