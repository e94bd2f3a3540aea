#!/usr/bin/python3
"""The boundary corpus (issue 20, tests/corpus/boundary/make_boundary.py): the smallest and emptiest valid inputs.
On every case `validate`, `run` at 1, 2 and 3 ranks (and 4 with M = 1: more ranks than deals), a 2-scenario
sweep at 2 ranks against the `merge` of its 2 shards, `report`, and `match` where the file has a market all
succeed; outputs have the documented shapes and are identical across rank counts (h5diff). Expected values come
from the cases' specs through an independent reference (sections 2-3 below, sections 4, 5 and 7 in
policy_ref.py, exact rational budget sums, closed forms per case), never from tradebal's output.
Usage: test_boundary.py TRADEBAL WORKDIR MPIEXEC [FLAGS...]   (TB_BOUNDARY_CASES=a,b runs only those)"""
import math
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal, h5_differences  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "boundary"))
import make_boundary  # noqa: E402
from policy_ref import funding_ref, market_ref, rel  # noqa: E402

TB = Tradebal(sys.argv)
check = Checks()
CASES = os.path.join(TB.work, "cases")

# MODEL.md section 2: T[type][dimension][sub-dimension]
TRANSLATION = np.array([
    [[.6, .2, .1, .1], [.1, .3, .5, .1], [.1, .4, .3, .2], [.2, .4, .1, .3]],
    [[.5, .3, .1, .1], [.1, .1, .6, .2], [.1, .2, .3, .4], [.1, .1, .2, .6]],
    [[.2, .3, .2, .3], [.4, .4, .1, .1], [.5, .3, .1, .1], [.4, .3, .2, .1]],
    [[.3, .5, .1, .1], [.4, .1, .4, .1], [.3, .2, .3, .2], [.5, .1, .1, .3]]])
OTHER_FACTOR, MARGIN, ALPHA = 0.5, 0.3, 0.3
COLS = ["GDP", "Jobs", "Balance", "Surplus", "traded", "blocked", "unfunded", "tariff_revenue",
        "network_multiplier", "WAR", "WAR_B", "q05", "q95", "not_win_win", "mean_cert_price"]


# ---- sections 2-3 from the spec ----
def factors(e):
    return [float(np.dot(TRANSLATION[e["type"]][d], e["weights"])) for d in range(4)] + [OTHER_FACTOR]


def deals_ref(w):
    """Per party V; per deal S, F, status and bid; per party kappa (sections 2, 3 and 5's bid)."""
    ents = w["entities"]
    V, kappa, S, F, status, bid = [], [], [], [], [], []
    for d in w["deals"]:
        s_list, capped = [], []
        for e, comps in d["parties"]:
            ent, fac = ents[e], factors(ents[e])
            v = sum(fac[dim] * sum(a * (1 + ent["r"]) ** -t for t, a in flows) * p ** (1 + ent["rho"])
                    for dim, p, flows in comps)
            V.append(v)
            kappa.append(fac[0])
            s_list.append(v / fac[0])
            capped.append(min(v / fac[0], ent["cap"]))
        vs = V[-len(s_list):]
        S.append(sum(s_list))
        F.append(sum(capped))
        status.append(0 if all(v > 0 for v in vs) else 1 if F[-1] > 0 else 2)
        i = d["importer"]
        bid.append(math.inf if d["m"] == 0 else (sum(capped) - capped[i] + s_list[i]) / d["m"])
    return dict(V=np.array(V), kappa=np.array(kappa), S=np.array(S), F=np.array(F),
                status=np.array(status, np.uint8), bid=np.array(bid),
                m=np.array([x["m"] for x in w["deals"]]), k=np.array([x["k"] for x in w["deals"]]))


def covered(spec, w):
    R = w["R"]
    regions = spec.get("regions", "home")
    if regions == "home":
        return [r == w["home"] for r in range(R)]
    if regions == "all":
        return [True] * R
    ids = {int(x) for x in regions.split(",")}
    return [r in ids for r in range(R)]


def policy_refs(w, f, d, funded):
    """Every policy's market (section 5) and levels (sections 7-8), `none` first."""
    out = {}
    pol = {"none": {"kind": "none"}, **w["policies"]}
    for name, spec in pol.items():
        kind = spec["kind"]
        kw = {}
        if kind == "tariff":
            kw = dict(rate=float(spec.get("rate", 0.1)))
        elif kind == "certificates":
            kw = dict(ratio=float(spec.get("ratio", 1)), expiry=int(spec.get("expiry", 1)),
                      floor=float(spec.get("floor", 0)))
        cov = covered(spec, w)
        ref = market_ref(f, {"/deals/status": d["status"], "/deals/bid": d["bid"]}, funded, kind, cov, **kw)
        traded = ref["outcome"] == 0
        ref["surplus"] = float((d["S"] - ref["premium"] * d["m"])[traded].sum())
        ref["balance"] = float((ref["exports"] - ref["imports"])[w["home"]].sum())
        ref["revenue"] = kw.get("rate", 0.0) * float(ref["imports"][np.array(cov)].sum()) if kind == "tariff" else 0.0
        ref["Y"] = ref["gdp"] + ref["balance"] + ref["surplus"]  # default weights 1, 0, 1, 1
        out[name] = ref
    return out


# ---- running every command ----
def ok(r, what):
    check(r.returncode == 0, f"{what} exited {r.returncode}: {r.stderr.strip()[-400:]}")
    return r.returncode == 0


def same(a, b, what):
    diff = h5_differences(a, b)
    check(not diff, f"{what}: {a} and {b} differ in {diff[:5]}")


def run_all_commands(name, w):
    """Returns the 1-rank run output and the sweep output (None where a command failed)."""
    h5, ini, sini = (os.path.join(CASES, name + x) for x in (".h5", ".ini", ".sweep.ini"))
    out = os.path.join(TB.work, name)
    ok(TB.run(["validate", h5]), f"{name}: validate")
    ranks = [1, 2, 3] + ([4] if len(w["deals"]) == 1 else [])
    for n in ranks:
        r = TB.run(["run", "-c", ini, "-o", f"{out}.r{n}.h5", "--overwrite"], ranks=n)
        if not ok(r, f"{name}: run at {n} ranks"):
            return None, None
        if n > 1:
            same(f"{out}.r1.h5", f"{out}.r{n}.h5", f"{name}: run at 1 and {n} ranks")
    ok(TB.run(["run", "-c", sini, "-o", f"{out}.sweep.h5", "--overwrite"], ranks=2), f"{name}: sweep at 2 ranks")
    for s in (0, 1):
        ok(TB.run(["run", "-c", sini, "-o", f"{out}.shard{s}.h5", "--overwrite", "--set", f"sweep.shard={s}",
                   "--set", "sweep.shards=2"]), f"{name}: sweep shard {s}")
    ok(TB.run(["merge", "-o", f"{out}.merged.h5", f"{out}.shard0.h5", f"{out}.shard1.h5", "--overwrite"]),
       f"{name}: merge")
    same(f"{out}.sweep.h5", f"{out}.merged.h5", f"{name}: the merged shards and the whole sweep")
    r = TB.run(["report", f"{out}.r1.h5", f"{out}.sweep.h5", "-o", f"{out}.report", "--overwrite"])
    ok(r, f"{name}: report")
    check(os.path.exists(f"{out}.report/index.html"), f"{name}: report page")
    if w["market"] is not None:
        for n in (1, 2):
            ok(TB.run(["match", h5, "-o", f"{out}.match{n}.h5", "--overwrite"], ranks=n), f"{name}: match at {n}")
        same(f"{out}.match1.h5", f"{out}.match2.h5", f"{name}: match at 1 and 2 ranks")
    return f"{out}.r1.h5", f"{out}.sweep.h5"


# ---- what every case must show ----
def check_shapes(name, w, o, O):
    N, M, R, T, S = len(w["entities"]), len(w["deals"]), w["R"], w["T"], w["S"]
    P = sum(len(d["parties"]) for d in w["deals"])
    Q = 1 + len(w["policies"])
    want = {"/deals/value": (P,), "/deals/status": (M,), "/deals/surplus": (M,), "/deals/bid": (M,),
            "/deals/funded": (M,), "/deals/outcome": (M,), "/deals/transfer": (P,), "/deals/final_value": (P,),
            "/entities/direct_value": (N,), "/entities/network_value": (N,), "/entities/centrality": (N,),
            "/entities/influence": (N,), "/io/multipliers": (S,), "/opportunities/deal": (O,),
            "/opportunities/ratio": (O,), "/opportunities/funded": (O,), "/opportunities/sector_index": (S,),
            "/policies/names": (Q,), "/policies/metrics": (Q, len(COLS))}
    for key in ("exports", "imports", "balance", "cert_price", "cert_issued", "cert_used", "cert_expired"):
        want[f"/regions/{key}"] = (R, T)
    bad = [f"{k} {o[k].shape if k in o else 'missing'} != {v}" for k, v in want.items()
           if k not in o or o[k].shape != v]
    check(not bad, f"{name}: shapes: {bad}")


def check_deals(name, d, o):
    check(np.array_equal(o["/deals/status"][:], d["status"]), f"{name}: status {o['/deals/status'][:]} != {d['status']}")
    check(rel(o["/deals/value"][:], d["V"]) <= 1e-12, f"{name}: values off by {rel(o['/deals/value'][:], d['V']):.3g}")
    check(rel(o["/deals/surplus"][:], d["S"]) <= 1e-12, f"{name}: surplus")
    check(rel(o["/deals/bid"][:], d["bid"]) <= 1e-12, f"{name}: bids {o['/deals/bid'][:]} != {d['bid']}")


def check_funding(name, w, f, o, d):
    theta = float(w["config"]["funding"].get("theta", 1.2))
    budget = float(w["config"]["funding"].get("budget", "inf"))
    ids, uB, frank, funded, idx = funding_ref(f, d["S"], d["status"], MARGIN, theta, budget)
    check(np.array_equal(o["/opportunities/deal"][:], ids), f"{name}: ranking {o['/opportunities/deal'][:]} != {ids}")
    check(rel(o["/opportunities/ratio"][:], uB) <= 1e-12, f"{name}: u^B")
    check(np.array_equal(o["/opportunities/funded"][:], frank), f"{name}: budget prefix")
    check(np.array_equal(o["/deals/funded"][:], funded), f"{name}: /deals/funded {o['/deals/funded'][:]} != {funded}")
    si = o["/opportunities/sector_index"][:]
    check(np.array_equal(np.isnan(si), np.isnan(idx)) and rel(np.nan_to_num(si), np.nan_to_num(idx)) <= 1e-12,
          f"{name}: sector index {si} != {idx}")
    check(o["/opportunities"].attrs["opportunities"] == (d["k"] > 0).sum()
          and o["/opportunities"].attrs["funded_count"] == frank.sum(), f"{name}: opportunity counts")
    return len(ids), funded


def check_policies(name, w, o, refs):
    names = [n.decode() for n in o["/policies/names"][:]]
    check(names == list(refs), f"{name}: policy names {names}")
    met = o["/policies/metrics"][:]
    for p, (pname, ref) in enumerate(refs.items()):
        g = o[f"/policies/{pname}"]
        check(np.array_equal(g["deals/outcome"][:], ref["outcome"]),
              f"{name}/{pname}: outcomes {g['deals/outcome'][:]} != {ref['outcome']}")
        for key in ("exports", "imports", "cert_price", "cert_issued", "cert_used", "cert_expired"):
            check(rel(g["regions/" + key][:], ref[key]) <= 1e-12,
                  f"{name}/{pname}: regions/{key} {g['regions/' + key][:].tolist()} != {ref[key].tolist()}")
        row = dict(zip(COLS, met[p]))
        oc = ref["outcome"]
        counts = dict(traded=(oc == 0).sum(), blocked=((oc == 3) | (oc == 4)).sum(), unfunded=(oc == 2).sum(),
                      not_win_win=(oc == 1).sum())
        check(all(row[c] == v for c, v in counts.items()), f"{name}/{pname}: counts {row} != {counts}")
        for col, want in (("GDP", ref["gdp"]), ("Jobs", ref["jobs"]), ("Balance", ref["balance"]),
                          ("Surplus", ref["surplus"]), ("tariff_revenue", ref["revenue"])):
            check(rel(row[col], want) <= 1e-9, f"{name}/{pname}: {col} {row[col]!r} != {want!r}")
        if o["/policies"].attrs["draws"] == 0:  # K = 0: sigma_rep = 1, WAR = Y_p - Y_none
            want = ref["Y"] - refs["none"]["Y"]
            check(abs(row["WAR"] - want) <= 1e-9 * max(1.0, abs(refs["none"]["Y"])),
                  f"{name}/{pname}: WAR {row['WAR']} != {want}")


def check_transfers(name, o, d, refs, w):
    """The recommended policy's traded deals keep S - P m in money; the others keep V and no transfer."""
    best = o["/policies"].attrs["recommended"]
    ref = refs[best.decode() if isinstance(best, bytes) else str(best)]
    sizes = [len(x["parties"]) for x in w["deals"]]
    deal_of = np.repeat(np.arange(len(sizes)), sizes)
    fv, tr = o["/deals/final_value"][:], o["/deals/transfer"][:]
    money = np.bincount(deal_of, fv / d["kappa"], minlength=len(sizes))
    traded = ref["outcome"] == 0
    check(rel(money[traded], (d["S"] - ref["premium"] * d["m"])[traded]) <= 1e-9, f"{name}: traded deals keep S - P m")
    nt = ~traded[deal_of]
    check(np.array_equal(fv[nt], o["/deals/value"][nt]) and not tr[nt].any(), f"{name}: untraded deals keep V, no transfer")


def check_network(name, w, o):
    N = len(w["entities"])
    Wt = np.zeros((N, N))
    for i, j, x in w["edges"]:
        Wt[i, j] += x
    out_strength = Wt.sum(axis=1)
    total = Wt.sum()
    C = out_strength / total if total > 0 else np.zeros(N)  # no edges: no centrality (docs/model.md)
    outs = [[j for a, j, _ in w["edges"] if a == i] for i in range(N)]
    infl = np.array([C[i] * math.sqrt(sum(C[j] for j in outs[i])) for i in range(N)])
    check(rel(o["/entities/centrality"][:], C) <= 1e-12, f"{name}: centrality")
    check(rel(o["/entities/influence"][:], infl) <= 1e-12, f"{name}: influence")
    Wn = Wt / np.maximum(1.0, out_strength)[:, None]
    b, x = o["/entities/direct_value"][:], o["/entities/network_value"][:]
    want = np.linalg.solve(np.eye(N) - ALPHA * Wn.T, b)  # the fixed point, by a direct solve
    check(rel(x, want) <= 1e-9, f"{name}: x = b + alpha W~^T x off by {rel(x, want):.3g}")


def check_multipliers(name, w, o):
    A = np.array(w["A"], float)
    want = np.linalg.inv(np.eye(len(A)) - A).sum(axis=0)
    check(rel(o["/io/multipliers"][:], want) <= 1e-12, f"{name}: output multipliers")


def check_sweep(name, w, sweep):
    with h5py.File(sweep, "r") as s:
        Q = 1 + len(w["policies"])
        check(s["/scenarios/params"].shape == (2, 1) and s["/scenarios/metrics"].shape == (2, len(COLS) * Q)
              and s["/sensitivity/spearman"].shape == (1, len(COLS) * Q), f"{name}: sweep shapes")
        lo_hi = [0.0, 0.5] if name == "sweep_two" else [1.0, 2.0]
        check(np.array_equal(s["/scenarios/params"][:, 0], lo_hi), f"{name}: grid of 2 points {s['/scenarios/params'][:]}")
        # two scenarios of one parameter: each sensitivity is the sign of the metric's change, NaN where it is
        # constant or not finite
        m = s["/scenarios/metrics"][:]
        with np.errstate(invalid="ignore"):
            want = np.where(np.isfinite(m).all(axis=0) & (m[0] != m[1]), np.sign(m[1] - m[0]), np.nan)
        got = s["/sensitivity/spearman"][0]
        check(np.array_equal(got, want, equal_nan=True), f"{name}: spearman of 2 scenarios {got} != {want}")
        # SRC, a least-squares fit of standardised values, is +-1 too where the change is above rounding noise
        src = s["/sensitivity/src"][0]
        with np.errstate(invalid="ignore"):
            clear = np.abs(m[1] - m[0]) > 1e-9 * np.maximum(1.0, np.abs(m[0]))
        check(np.array_equal(np.isnan(src), np.isnan(want)) and rel(src[clear], want[clear]) <= 1e-12,
              f"{name}: src of 2 scenarios {src} != {want}")


# ---- closed forms of single cases ----
def metric(o, policy, col):
    names = [n.decode() for n in o["/policies/names"][:]]
    return o["/policies/metrics"][names.index(policy), COLS.index(col)]


def report_text(name):
    with open(os.path.join(TB.work, name + ".report", "index.html")) as f:
        return f.read()


def case_checks(name, w, f, o, d, refs, O):
    none = refs["none"]
    if name in ("cost_zero", "theta_high", "all_not_win_win"):
        check(O == 0 and "No undervalued opportunity" in report_text(name)
              and not os.path.exists(os.path.join(TB.work, name + ".report", "opportunities.png")),
              f"{name}: O = 0 and the report says so instead of drawing a figure")
    if name == "cost_zero":
        check(o["/deals/funded"][:].all() and o["/opportunities"].attrs["opportunities"] == 0, f"{name}: all funded")
    if name in ("cost_over_budget", "budget_zero"):
        check(O > 0 and not o["/opportunities/funded"][:].any(), f"{name}: undervalued, none funded")
    if name == "budget_inf":
        check(O > 0 and o["/opportunities/funded"][:].all(), f"{name}: every undervalued opportunity funded")
    if name == "budget_half_ulp":
        check(list(o["/opportunities/deal"][:]) == [0, 3] and list(o["/opportunities/funded"][:]) == [1, 0],
              f"{name}: 2^-53 funded, then 1 is over B = 1: {o['/opportunities/funded'][:]}")
    if name == "r1":
        for p in refs:
            check(not o[f"/policies/{p}/regions/balance"][:].any() and metric(o, p, "Balance") == 0,
                  f"{name}/{p}: one region without base trade has balance 0")
    if name in ("all_domestic", "trade_value_zero"):
        check(np.array_equal(o["/policies/none/regions/exports"][:], f["/trade/base_exports"][:])
              and np.array_equal(o["/policies/none/regions/imports"][:], f["/trade/base_imports"][:]),
              f"{name}: no deal moves a region's trade")
    if name == "all_not_win_win":
        check((d["status"] == 2).all() and not o["/entities/direct_value"][:].any()
              and not o["/entities/network_value"][:].any()
              and np.isnan(o["/policies/metrics"][:, COLS.index("network_multiplier")]).all(),
              f"{name}: nothing trades, no value, network multiplier 0/0")
    if name in ("all_win_win", "party255"):
        check((o["/deals/status"][:] == 0).all(), f"{name}: all WIN_WIN")
    if name == "cap_zero":
        check(not o["/deals/transfer"][:].any() and not (o["/deals/status"][:] == 1).any(),
              f"{name}: with caps 0 nothing is repairable and nothing is transferred")
    if name == "cap_inf":  # F = S: REPAIRABLE exactly where S > 0, and every bid is S / m
        pp = np.cumsum([0] + [len(x["parties"]) for x in w["deals"]])
        win = np.array([(d["V"][a:b] > 0).all() for a, b in zip(pp[:-1], pp[1:])])
        check(np.array_equal(o["/deals/status"][:], np.where(win, 0, np.where(d["S"] > 0, 1, 2))),
              f"{name}: with caps +inf a deal is repairable exactly when S > 0")
        check(rel(o["/deals/bid"][:], d["S"] / d["m"]) <= 1e-12, f"{name}: bid = S / m")
    if name == "trade_value_zero":
        check(np.isinf(o["/deals/bid"][:]).all(), f"{name}: every bid +inf")
    if name in ("prob_0_1", "zero_flows"):
        pp = np.cumsum([0] + [len(x["parties"]) for x in w["deals"]])
        check(not o["/deals/value"][pp[3]:pp[4]].any() and o["/deals/status"][3] == 2,
              f"{name}: deal 3 is worth exactly 0 to both parties")
    if name == "cert_ratio_zero":
        g, home = o["/policies/certs0/regions"], w["home"]
        check(np.isinf(g["cert_price"][home]).all() and not g["base_imports_served"][home].any()
              and not g["cert_issued"][:].any(), f"{name}: no supply, price +inf, no base import served")
        imports_home = np.array([x["imp"] == home for x in w["deals"]])
        oc = o["/policies/certs0/deals/outcome"][:]
        check((oc[imports_home & (none["outcome"] == 0)] == 3).all(), f"{name}: every eligible import blocked")
    if name == "cert_glut":
        check((o["/policies/glut/regions/cert_price"][w["home"]] == 0.05).all()
              and not (o["/policies/glut/deals/outcome"][:] == 3).any(), f"{name}: price at the floor, none blocked")
    if name == "cert_expiry_1":
        g = o["/policies/certs1/regions"]
        iss, used, exp_ = g["cert_issued"][:], g["cert_used"][:], g["cert_expired"][:]
        # E = 1: period 0 may use the initial allocation q base_exports[r, 0], period t the issue at the end
        # of t - 1 (cert_issued[:, 0] holds both the allocation and period 0's issue)
        init = 0.5 * f["/trade/base_exports"][:, 0]
        issued_end = iss.copy()
        issued_end[:, 0] -= init
        avail = np.column_stack([init, issued_end[:, :-1]])
        check(rel(exp_, avail - used) <= 1e-12, f"{name}: each period's unused certificates expire at its end")
    if name == "tariff_no_imports":
        served = f["/trade/base_imports"][2] * 1.25 ** -1.5
        check(np.array_equal(o["/policies/tariff2/deals/outcome"][:], none["outcome"]), f"{name}: no deal blocked")
        check(rel(o["/policies/tariff2/regions/base_imports_served"][2], served) <= 1e-12
              and rel(metric(o, "tariff2", "tariff_revenue"), 0.25 * served.sum()) <= 1e-12,
              f"{name}: base imports (1 + tau)^-epsilon and the revenue on them")
    if name == "no_edges":
        check(np.array_equal(o["/entities/network_value"][:], o["/entities/direct_value"][:])
              and (o["/policies/metrics"][:, COLS.index("network_multiplier")] == 1).all(),
              f"{name}: no spillover, multiplier 1")
    if name == "entity_no_deal":
        x = o["/entities/network_value"][:]
        check(o["/entities/direct_value"][6] == 0 and rel(x[6], ALPHA * (2.0 / 3.0) * x[0]) <= 1e-9,
              f"{name}: the lone entity's value is alpha W~[0,6] x[0] (to the Jacobi tolerance)")
    if name == "draws_sigma0":
        lv = o["/policies/draw_levels"][:]
        Y = np.array([r["Y"] for r in refs.values()])
        check(lv.shape == (2, len(refs)) and rel(lv, np.vstack([Y, Y])) <= 1e-9,
              f"{name}: every draw equals the deterministic run: {lv} vs {Y}")
        check(o["/policies"].attrs["sigma_rep_fallback"] == 1 and float(o["/policies"].attrs["sigma_rep"]) == 0,
              f"{name}: sigma_rep 0, WAR falls back to 1")
        war = o["/policies/metrics"][:, COLS.index("WAR")]
        check(rel(war, Y - Y[0]) <= 1e-9, f"{name}: WAR = Y_p - Y_none")


def check_sweep_two(o, sweep):
    """Rate 0 is no tariff at all; rate 0.5 is what a run at that rate gives."""
    ini = os.path.join(CASES, "sweep_two.ini")
    one = os.path.join(TB.work, "sweep_two.rate05.h5")
    ok(TB.run(["run", "-c", ini, "-o", one, "--overwrite", "--set", "policy.tariff10.rate=0.5"]), "sweep_two: run")
    with h5py.File(sweep, "r") as s, h5py.File(one, "r") as r:
        cols = [c.decode() for c in s["/scenarios/metrics"].attrs["columns"]]
        row = dict(zip(cols, s["/scenarios/metrics"][0]))
        for c in ("GDP", "Jobs", "Balance", "Surplus", "traded", "blocked"):
            check(row[f"tariff10/{c}"] == row[f"none/{c}"], f"sweep_two: a 0 tariff changes {c}")
        row = dict(zip(cols, s["/scenarios/metrics"][1]))
        check(all(rel(row[f"tariff10/{c}"], metric(r, "tariff10", c)) <= 1e-12 for c in COLS[:9]),
              "sweep_two: scenario 1 = a run at rate 0.5")


def check_match(name, w):
    path = os.path.join(TB.work, name + ".match1.h5")
    if not os.path.exists(path):
        return  # the failed command is already counted
    with h5py.File(path, "r") as m:
        check(m["/trades/price"].shape == (0,), f"{name}: no trade")
        check(np.array_equal(m["/market/holdings"][:], np.array(w["market"]["holdings"])), f"{name}: holdings kept")
        check(not m["/regions/volume"][:].any() and np.isnan(m["/regions/vwap"][:]).all(), f"{name}: no volume")
        K = len(w["market"]["orders"])
        check(m["/orders/status"].shape == (K,) and not m["/orders/status"][:].any()
              and not m["/orders/filled"][:].any(), f"{name}: {K} orders accepted, none filled")


def one_case(name, w):
    run1, sweep = run_all_commands(name, w)
    if run1 is None:
        return
    d = deals_ref(w)
    with h5py.File(os.path.join(CASES, name + ".h5"), "r") as f, h5py.File(run1, "r") as o:
        check_deals(name, d, o)
        O, funded = check_funding(name, w, f, o, d)
        check_shapes(name, w, o, O)
        refs = policy_refs(w, f, d, funded)
        check_policies(name, w, o, refs)
        check_transfers(name, o, d, refs, w)
        check_network(name, w, o)
        check_multipliers(name, w, o)
        case_checks(name, w, f, o, d, refs, O)
        if name == "sweep_two":
            check_sweep_two(o, sweep)
    check_sweep(name, w, sweep)
    if w["market"] is not None:
        check_match(name, w)


def generate_smallest():
    """`generate` at its smallest (2 entities, 1 deal, 1 region, period and sector) writes a valid input, the
    same at 1 and 4 ranks, that runs; 0 deals would break MODEL.md section 1 (M >= 1), so it is refused (2)."""
    args = ["--entities", "2", "--deals", "1", "--regions", "1", "--periods", "1", "--sectors", "1", "--overwrite"]
    g1, g4 = (os.path.join(TB.work, f"gen_small{n}.h5") for n in (1, 4))
    ok(TB.run(["generate", "-o", g1, *args]), "generate at its smallest")
    ok(TB.run(["generate", "-o", g4, *args, "--batch", "1"], ranks=4), "generate at its smallest, 4 ranks")
    same(g1, g4, "generate at 1 and 4 ranks")
    ok(TB.run(["validate", g1]), "validate the smallest generated input")
    ini = os.path.join(TB.work, "gen_small.ini")
    with open(ini, "w") as f:
        f.write(f"[input]\nfile = {g1}\n[assessment]\ndraws = 2\n")
    for n in (1, 4):
        ok(TB.run(["run", "-c", ini, "-o", os.path.join(TB.work, f"gen_small.r{n}.h5"), "--overwrite"], ranks=n),
           f"run the smallest generated input at {n} ranks")
    same(*(os.path.join(TB.work, f"gen_small.r{n}.h5") for n in (1, 4)), "the smallest generated input, 1 and 4 ranks")
    r = TB.run(["generate", "-o", os.path.join(TB.work, "gen_zero.h5"), "--entities", "2", "--deals", "0"])
    check(r.returncode == 2 and "M >= 1" in r.stderr and not os.path.exists(os.path.join(TB.work, "gen_zero.h5")),
          f"generate --deals 0 is a usage error: {r.returncode} {r.stderr.strip()}")


def in_two_halves(table):
    """The cases in two child processes at once (each case's commands mostly wait on process start-up, MPI's
    and matplotlib's): half the wall time on 2 cores. The children skip the set-up and only run cases."""
    names = list(table)
    env = [dict(os.environ, TB_BOUNDARY_CASES=",".join(names[i::2]), TB_BOUNDARY_CHILD="1") for i in (0, 1)]
    me = os.path.join(HERE, "test_boundary.py")
    kids = [subprocess.Popen([sys.executable, me, os.path.abspath(TB.tb), TB.work, *TB.mpi], env=e) for e in env]
    return all(k.wait() == 0 for k in kids)


def main():
    table = make_boundary.cases()
    only = [c for c in os.environ.get("TB_BOUNDARY_CASES", "").split(",") if c]
    if not os.environ.get("TB_BOUNDARY_CHILD"):
        subprocess.run([sys.executable, os.path.join(HERE, "boundary", "make_boundary.py"), CASES], check=True)
        generate_smallest()
        if not only:
            check(in_two_halves(table), "every case in the two halves (their FAIL lines are above)")
            check.finish()
    for name, w in table.items():
        if only and name not in only:
            continue
        before = check.failed
        one_case(name, w)
        print(f"{name}: {'ok' if check.failed == before else 'FAILED'} ({w['note']})", flush=True)
    check.finish()


main()
