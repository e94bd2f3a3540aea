#!/usr/bin/python3
"""NumPy implementation of MODEL.md sections 2-3, written independently of the C code.

Used two ways:
  numpy_deals.py INPUT [--batch B] [--repeat K]      time it (the benchmark peer)
  numpy_deals.py INPUT --check OUTPUT [options]      compare a tradebal output with it (a test oracle)

The split is solved differently from the C scan: every breakpoint is evaluated directly
(an n x n tensor per deal) and the root segment is picked from those values.
"""
import argparse
import sys
import time

import h5py
import numpy as np

DEFAULT_T = np.array([
    [[.6, .2, .1, .1], [.1, .3, .5, .1], [.1, .4, .3, .2], [.2, .4, .1, .3]],
    [[.5, .3, .1, .1], [.1, .1, .6, .2], [.1, .2, .3, .4], [.1, .1, .2, .6]],
    [[.2, .3, .2, .3], [.4, .4, .1, .1], [.5, .3, .1, .1], [.4, .3, .2, .1]],
    [[.3, .5, .1, .1], [.4, .1, .4, .1], [.3, .2, .3, .2], [.5, .1, .1, .3]]])


def load_entities(f, other_factor):
    typ = f["/entities/type"][:].astype(np.int64)
    w = f["/entities/weights"][:]
    T = f["/model/translation"][:] if "/model/translation" in f else DEFAULT_T
    fac = np.empty((len(typ), 5))
    fac[:, :4] = np.einsum("edk,ek->ed", T[typ], w)
    fac[:, 4] = other_factor
    beta = f["/entities/bargaining_weight"][:] if "/entities/bargaining_weight" in f else np.ones(len(typ))
    return dict(fac=fac, r=f["/entities/discount_rate"][:], rho=f["/entities/risk_aversion"][:],
                cap=f["/entities/pay_cap"][:], beta=beta)


def split_root(s, cap, g):
    """Root u of sum_e max(g u - s, -cap) = 0 for rows of equal party count ([G, n] arrays)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(np.isinf(cap), -np.inf, (s - cap) / g)
    cand = np.concatenate([np.zeros((len(s), 1)), np.maximum(b, 0.0)], axis=1)  # [G, n+1]
    h = np.maximum(g[:, None, :] * cand[:, :, None] - s[:, None, :], -cap[:, None, :]).sum(axis=2)
    c = np.where(h <= 0.0, cand, -1.0).max(axis=1)  # last candidate with h <= 0
    active = b <= c[:, None]
    num = np.where(active, s, 0.0).sum(axis=1) + np.where(active, 0.0, np.where(np.isinf(cap), 0.0, cap)).sum(axis=1)
    return num / np.where(active, g, 0.0).sum(axis=1)


def evaluate(f, E, d0, d1, rule, split, scope):
    pp = f["/deals/party_ptr"][d0:d1 + 1]
    p0, p1 = int(pp[0]), int(pp[-1])
    pe = f["/deals/party_entity"][p0:p1]
    cp = f["/deals/comp_ptr"][p0:p1 + 1]
    c0, c1 = int(cp[0]), int(cp[-1])
    dim = f["/deals/comp_dim"][c0:c1].astype(np.int64)
    prob = f["/deals/comp_prob"][c0:c1]
    fp = f["/deals/flow_ptr"][c0:c1 + 1]
    f0, f1 = int(fp[0]), int(fp[-1])
    t = f["/deals/flow_period"][f0:f1]
    a = f["/deals/flow_amount"][f0:f1]
    imp = f["/deals/importer"][d0:d1].astype(np.int64)
    m = f["/deals/trade_value"][d0:d1]
    t_start = time.perf_counter()
    nd, npar, nc = d1 - d0, p1 - p0, c1 - c0
    party_of_comp = np.repeat(np.arange(npar), np.diff(cp))
    comp_of_flow = np.repeat(np.arange(nc), np.diff(fp))
    deal_of_party = np.repeat(np.arange(nd), np.diff(pp))
    ent_c = pe[party_of_comp]
    pv = np.bincount(comp_of_flow, a * np.power(1.0 + E["r"][ent_c[comp_of_flow]], -t.astype(np.float64)), minlength=nc)
    fac = E["fac"][ent_c, dim]
    pw = np.power(prob, 1.0 + E["rho"][ent_c])
    if rule == "expected":
        cv = fac * pv * pw
    else:
        A = np.bincount(comp_of_flow, a, minlength=nc)
        g = fac * A
        with np.errstate(invalid="ignore", divide="ignore"):
            cv = np.minimum(g * pw, np.where(A > 0, g * pv / A, g))
    V = np.bincount(party_of_comp, cv, minlength=npar)
    kappa = E["fac"][pe, 0]
    cap = E["cap"][pe]
    beta = E["beta"][pe]
    s = V / kappa
    capped = np.minimum(s, cap)
    S = np.bincount(deal_of_party, s, minlength=nd)
    F = np.bincount(deal_of_party, capped, minlength=nd)
    allpos = np.bincount(deal_of_party, V <= 0, minlength=nd) == 0
    status = np.where(allpos, 0, np.where(F > 0, 1, 2)).astype(np.uint8)
    ip = pp[:-1] - p0 + imp
    with np.errstate(divide="ignore", invalid="ignore"):
        bid = np.where(m > 0, (F - capped[ip] + s[ip]) / m, np.inf)
    tau = np.zeros(npar)
    if split != "none":
        do = (status == 1) | ((scope == "all") & (status == 0) & (F > 0))
        g = beta if split == "nash" else beta / kappa
        n_of = np.diff(pp)
        for n in np.unique(n_of[do]):
            deals = np.nonzero(do & (n_of == n))[0]
            idx = (pp[deals] - p0)[:, None] + np.arange(n)[None, :]
            u = split_root(s[idx], cap[idx], g[idx])
            tau[idx] = np.maximum(g[idx] * u[:, None] - s[idx], -cap[idx])
    final = V + kappa * tau
    secs = time.perf_counter() - t_start
    return dict(value=V, status=status, surplus=S, bid=bid, transfer=tau, final_value=final,
                p0=p0, p1=p1), secs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("--check", metavar="OUTPUT")
    ap.add_argument("--rule", default="expected", choices=["expected", "min_adjusted"])
    ap.add_argument("--split", default="nash", choices=["nash", "egalitarian", "none"])
    ap.add_argument("--scope", default="repair", choices=["repair", "all"])
    ap.add_argument("--other-factor", type=float, default=0.5)
    ap.add_argument("--batch", type=int, default=1 << 19)
    ap.add_argument("--rtol", type=float, default=1e-12)
    args = ap.parse_args()
    with h5py.File(args.input, "r") as f:
        E = load_entities(f, args.other_factor)
        M = f["/deals/importer"].shape[0]
        out = h5py.File(args.check, "r") if args.check else None
        compute, bad = 0.0, 0
        for d0 in range(0, M, args.batch):
            d1 = min(M, d0 + args.batch)
            r, secs = evaluate(f, E, d0, d1, args.rule, args.split, args.scope)
            compute += secs
            if out is None:
                continue
            for name, lo, hi in (("value", r["p0"], r["p1"]), ("transfer", r["p0"], r["p1"]),
                                 ("final_value", r["p0"], r["p1"]), ("surplus", d0, d1),
                                 ("bid", d0, d1), ("status", d0, d1)):
                got, want = out["/deals/" + name][lo:hi], r[name]
                if name == "status":
                    diff = np.nonzero(got != want)[0]
                else:
                    same_inf = (got == want)
                    with np.errstate(invalid="ignore"):
                        err = np.abs(got - want) > args.rtol * np.maximum(1.0, np.abs(want))
                    diff = np.nonzero(err & ~same_inf)[0]
                if len(diff):
                    bad += len(diff)
                    i = diff[0]
                    print(f"mismatch /deals/{name}[{lo + i}]: tradebal {got[i]!r}, numpy {want[i]!r} "
                          f"({len(diff)} in this batch)", file=sys.stderr)
        if out is not None:
            print(f"numpy oracle: {M} deals compared, {bad} mismatches")
            return 1 if bad else 0
        print(f"numpy_deals: {M} deals, compute {compute:.4f} s, {M / compute:.4g} deals/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
