#!/usr/bin/python3
"""CuPy peer of the GPU benchmark: the NumPy peer's compute() run with CuPy on the arrays
tb_bench_gpu_deals writes (DIR/*.npy). Prints 'compute SECONDS' (median after a warm-up).
Usage: cupy_deals.py DIR [REPEATS]"""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_deals import compute  # noqa: E402

try:
    import cupy as cp
except ImportError:
    print("cupy_deals: CuPy is not installed, skipped")
    sys.exit(0)


def main():
    d = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rows = np.load(os.path.join(d, "rows.npy"))  # f0..f3, disc, rho1, cap, beta
    fac = np.empty((len(rows), 5))
    fac[:, :4], fac[:, 4] = rows[:, :4], 0.5
    E = {k: cp.asarray(v) for k, v in dict(fac=fac, gross=1.0 / rows[:, 4], rho1=rows[:, 5],
                                             cap=rows[:, 6], beta=rows[:, 7]).items()}
    name = dict(pp="party_ptr", pe="party_row", cp="comp_ptr", dim="comp_dim", prob="comp_prob",
                fp="flow_ptr", t="flow_period", a="flow_amount", imp="importer", m="trade_value")
    X = {k: cp.asarray(np.load(os.path.join(d, v + ".npy"))) for k, v in name.items()}
    compute(cp, E, X, "expected", "nash", "repair")  # warm-up: kernels compile here
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        compute(cp, E, X, "expected", "nash", "repair")
        cp.cuda.Device().synchronize()
        times.append(time.perf_counter() - t0)
    M = len(X["imp"])
    secs = statistics.median(times)
    print(f"cupy_deals: {M} deals, compute {secs:.4f} s, {M / secs:.4g} deals/s")


if __name__ == "__main__":
    main()
