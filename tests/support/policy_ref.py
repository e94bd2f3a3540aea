"""An independent Python reference of MODEL.md sections 4, 5 and 7 (funding, every policy's
market period by period, the Leontief GDP and jobs), shared by test_policy.py and test_boundary.py.
It takes the input file (h5py) and the per-deal surplus, status and bid, and keeps its own ledger of
certificate tranches; certificate prices come from a brute-force search over candidate prices."""
import math
from fractions import Fraction

import numpy as np


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    same_inf = (np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b)))
    with np.errstate(invalid="ignore"):  # inf - inf where both are the same infinity: taken as 0
        d = np.where(same_inf, 0.0, np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0))
    return float(d.max()) if d.size else 0.0


def funding_ref(f, S, st, margin=0.3, theta=1.2, budget=150.0):
    """Section 4 from the surplus S and status st per deal: (ranked ids, u^B, funded by rank, funded
    per deal, sector index). The budget prefix is found in exact rational arithmetic."""
    k = f["/deals/cost"][:]
    ids = np.nonzero(k > 0)[0]
    uB = (1 - margin) * (S[ids] / k[ids])
    under = (st[ids] != 2) & (uB >= theta)
    ids, uB = ids[under], uB[under]
    order = np.lexsort((ids, -uB))  # u^B descending, then id
    ids, uB = ids[order], uB[order]
    cum, total = [], Fraction(0)
    for c in k[ids]:  # exact: a float running sum would fund a prefix over B by half an ulp
        total += Fraction(float(c))
        cum.append(total)
    B = math.inf if math.isinf(budget) else Fraction(float(budget))
    funded_rank = np.array([c <= B for c in cum], bool)  # costs > 0: the prefix is where the total fits
    funded = (k == 0).astype(np.uint8)
    funded[ids[funded_rank]] = 1
    sec = f["/deals/sector"][:]
    opp = k > 0
    allr = S[opp].sum() / k[opp].sum() if opp.any() else math.nan  # no opportunity: no index
    nS = f["/io/A"].shape[0]
    idx = np.full(nS, np.nan)
    for s in range(nS):
        m = opp & (sec == s)
        if m.any():
            idx[s] = (S[m].sum() / k[m].sum()) / allr
    return ids, uB, funded_rank.astype(np.uint8), funded, idx


def base_demand(base, P, eps):
    return 0.0 if math.isinf(P) else base * (1 + P) ** (-eps)


def clear_brute(Q, base, floor, eps, bids, m):
    """Smallest feasible price among the floor, the bids and each segment's base-demand root."""
    def deals(P):
        return m[bids > P].sum()
    if Q <= 0 and base > 0:
        return math.inf
    cands = [floor] + [b for b in bids if b >= floor and np.isfinite(b)]
    levels = sorted(set([deals(floor)] + [deals(b) for b in bids]))
    for M in levels:
        if Q - M > 0 and base > 0:
            cands.append((base / (Q - M)) ** (1 / eps) - 1)
    best = math.inf
    for P in cands:
        if P >= floor and P < best and base_demand(base, P, eps) + deals(P) <= Q * (1 + 1e-13):
            best = P
    return best


def market_ref(f, o, funded, kind, covered, rate=0.0, ratio=0.0, expiry=1, floor=0.0, eps=1.5):
    st, bid, mval = o["/deals/status"][:], o["/deals/bid"][:], f["/deals/trade_value"][:]
    per, imp, exp_ = f["/deals/period"][:], f["/deals/import_region"][:], f["/deals/export_region"][:]
    bex, bim = f["/trade/base_exports"][:], f["/trade/base_imports"][:]
    R, T = bex.shape
    home, sec, nS = int(f["/io"].attrs["region"]), f["/deals/sector"][:], f["/io/A"].shape[0]
    hex_, him = np.zeros(nS), np.zeros(nS)
    out = np.where(st == 2, 1, np.where(funded == 0, 2, 0)).astype(np.uint8)
    prem = np.zeros(len(st))
    ex, im, price = np.zeros((R, T)), np.zeros((R, T)), np.zeros((R, T))
    issued, used, expired = np.zeros((R, T)), np.zeros((R, T)), np.zeros((R, T))
    tranches = {r: [[expiry - 1, ratio * bex[r, 0]]] for r in range(R)}  # [last valid period, amount]
    for t in range(T):
        elig = (out == 0) & (per == t)
        P = np.zeros(R)
        served = bim[:, t].copy()
        for r in range(R):
            if not covered[r] or kind == "none":
                continue
            if kind == "tariff":
                P[r] = rate
            else:
                Q = sum(a for l, a in tranches[r] if l >= t)
                mk = elig & (imp == r)
                P[r] = clear_brute(Q, bim[r, t], floor, eps, bid[mk], mval[mk])
            served[r] = base_demand(bim[r, t], P[r], eps)
        for d in np.nonzero(elig)[0]:
            g = imp[d]
            faces = g >= 0 and covered[g] and kind != "none"
            if faces and not bid[d] > P[g]:
                out[d] = 4 if kind == "tariff" else 3
                continue
            prem[d] = P[g] if faces else 0.0
            if g >= 0:
                ex[exp_[d], t] += mval[d]
                im[g, t] += mval[d]
                hex_[sec[d]] += mval[d] if exp_[d] == home else 0.0
                him[sec[d]] += mval[d] if g == home else 0.0
        for r in range(R):
            if kind == "certificates" and covered[r]:
                price[r, t] = P[r]
                need = served[r] + im[r, t]
                if t == 0:
                    issued[r, 0] += ratio * bex[r, 0]
                for tr in sorted(tranches[r]):  # earliest expiry first
                    if tr[0] >= t and need > 0:
                        take = min(need, tr[1])
                        tr[1] -= take
                        need -= take
                        used[r, t] += take
                expired[r, t] = sum(a for l, a in tranches[r] if l == t)
                tranches[r] = [tr for tr in tranches[r] if tr[0] != t]
                amount = ratio * (bex[r, t] + ex[r, t])
                tranches[r].append([t + expiry, amount])
                issued[r, t] += amount
    served = served_all(f, kind, covered, rate, price, eps)
    exports, imports = bex + ex, served + im
    # section 7: f = home exports - (home imports + import share x base imports served), x = (I - A)^-1 f
    A = f["/io/A"][:]
    fd = hex_ - (him + f["/io/import_share"][:] * served[home].sum())
    x = np.linalg.solve(np.eye(nS) - A, fd)
    gdp, jobs = f["/io/value_added"][:] @ x, f["/io/employment"][:] @ x
    return dict(gdp=gdp, jobs=jobs,outcome=out, premium=prem, exports=exports, imports=imports, cert_price=price,
                cert_issued=issued, cert_used=used, cert_expired=expired)


def served_all(f, kind, covered, rate, price, eps):
    bim = f["/trade/base_imports"][:]
    s = bim.copy()
    for r in range(bim.shape[0]):
        if kind == "none" or not covered[r]:
            continue
        for t in range(bim.shape[1]):
            s[r, t] = base_demand(bim[r, t], rate if kind == "tariff" else price[r, t], eps)
    return s
