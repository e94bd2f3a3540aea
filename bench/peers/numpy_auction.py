"""NumPy peer of tb_bench_auction: the uniform-price call auction of MODEL.md section 5,
P* = inf { P >= floor : base (1 + P)^-eps + sum_{bid_d > P} m_d <= Q }, for every
(period, region) market of the saved deals, written the way a NumPy user would:
one lexsort by (market, bid descending), a cumulative sum of m, and a bisection over
the bit patterns of P vectorised across markets, with the count of bids above P found by a
vectorised binary search inside each market's segment.
Usage: numpy_auction.py DIR DEALS REGIONS PERIODS REPEATS EPSILON FLOOR
Prints `compute <median seconds>` and writes DIR/peer_pstar.f64 (market g*T + t)."""
import sys
import time

import numpy as np


def clear(period, imp, bid, m, base, Q, R, T, eps, floor):
    key = imp.astype(np.int64) * T + period
    order = np.lexsort((-bid, key))  # stable: ties keep index order, as tradebal's book
    sb, sk = bid[order], key[order]
    cm = np.concatenate(([0.0], np.cumsum(m[order])))
    markets = np.arange(R * T)
    start = np.searchsorted(sk, markets, "left")
    end = np.searchsorted(sk, markets, "right")

    def demand(P):
        lo, hi = start.copy(), end.copy()
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            above = active & (sb[np.minimum(mid, len(sb) - 1)] > P)
            lo = np.where(above, mid + 1, lo)
            hi = np.where(active & ~above, mid, hi)
        return base * (1.0 + P) ** -eps + (cm[lo] - cm[start])

    pstar = np.full(R * T, np.nan)
    lo = np.full(R * T, floor + 0.0)
    ok = demand(lo) <= Q
    pstar[ok] = floor
    top = np.full(R * T, np.finfo(np.float64).max)
    pstar[~ok & ~(demand(top) <= Q)] = np.inf
    lo, hi = lo.view(np.uint64).copy(), top.view(np.uint64).copy()
    for _ in range(64):
        active = np.isnan(pstar) & (hi - lo > 1)
        if not active.any():
            break
        mid = lo + (hi - lo) // 2
        feas = demand(mid.view(np.float64)) <= Q
        hi = np.where(active & feas, mid, hi)
        lo = np.where(active & ~feas, mid, lo)
    open_ = np.isnan(pstar)
    pstar[open_] = hi[open_].view(np.float64)
    return pstar


def main():
    d, n, R, T, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    eps, floor = float(sys.argv[6]), float(sys.argv[7])
    period = np.fromfile(f"{d}/period.i32", np.int32)
    imp = np.fromfile(f"{d}/imp.i32", np.int32)
    bid = np.fromfile(f"{d}/bid.f64")
    m = np.fromfile(f"{d}/m.f64")
    base = np.fromfile(f"{d}/base.f64")
    Q = np.fromfile(f"{d}/Q.f64")
    assert len(period) == n and len(base) == R * T
    pstar = clear(period, imp, bid, m, base, Q, R, T, eps, floor)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        pstar = clear(period, imp, bid, m, base, Q, R, T, eps, floor)
        times.append(time.perf_counter() - t0)
    pstar.tofile(f"{d}/peer_pstar.f64")
    print(f"compute {np.median(times):.6f}")


if __name__ == "__main__":
    main()
