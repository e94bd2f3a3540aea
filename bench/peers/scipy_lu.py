#!/usr/bin/python3
"""SciPy peer of the Leontief LU: lu_factor(I - A) for a random A of size S with column sums
< 0.9, median of REPEATS. Usage: scipy_lu.py S REPEATS"""
import sys
import time

import numpy as np
import scipy.linalg

S, reps = int(sys.argv[1]), int(sys.argv[2])
A = np.random.default_rng(1).random((S, S)) * 0.9 / S
M = np.eye(S) - A
runs = []
for _ in range(reps):
    t0 = time.perf_counter()
    scipy.linalg.lu_factor(M, overwrite_a=False, check_finite=False)
    runs.append(time.perf_counter() - t0)
print(f"seconds {sorted(runs)[len(runs) // 2]:.6g}")
