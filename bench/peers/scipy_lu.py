#!/usr/bin/python3
"""SciPy peer of the Leontief LU for a random A of size S with column sums < 0.9, median of
REPEATS. `seconds` does what tradebal's timed factorisation does, from A: form I - A, check every
column sum < 1, lu_factor (of the Fortran-order view (I - A)^T, as tradebal factors it: no
transposing copy). `factor_seconds` is lu_factor alone on a ready matrix, for scale (what this
peer timed before issue 25). Usage: scipy_lu.py S REPEATS"""
import sys
import time

import numpy as np
import scipy.linalg

S, reps = int(sys.argv[1]), int(sys.argv[2])
A = np.random.default_rng(1).random((S, S)) * 0.9 / S


def from_a():
    M = np.negative(A)  # one new array, as tradebal's: -A, then 1 added on the diagonal
    M.flat[:: S + 1] += 1.0
    if not (A.sum(axis=0) < 1).all():
        raise SystemExit("column sum >= 1")
    scipy.linalg.lu_factor(M.T, overwrite_a=True, check_finite=False)


M0 = np.eye(S) - A
runs, factor = [], []
from_a()  # warm-up, as tradebal's first factorisation is
for _ in range(reps):
    t0 = time.perf_counter()
    from_a()
    runs.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    scipy.linalg.lu_factor(M0, overwrite_a=False, check_finite=False)
    factor.append(time.perf_counter() - t0)
print(f"seconds {sorted(runs)[len(runs) // 2]:.6g}")
print(f"factor_seconds {sorted(factor)[len(factor) // 2]:.6g}")
