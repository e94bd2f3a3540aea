"""The reference cases of tests/reference/ (HPCG style: a small input, its config and its expected key outputs).
Shared by tests/program/test_reference.py (checks a fresh run against expected.json) and tests/reference/update.py
(writes expected.json). Three parts:
- key_outputs(): the key outputs of a run file as (quantity, value, tolerance) rows, in the order of the table;
- independent(): the same quantities, as far as MODEL.md lets them be computed from the input and the config
  alone, by code that shares nothing with tradebal: sections 2-3 by bench/peers/numpy_deals.py, 4, 5 and 7 by
  policy_ref.py (exact rational budget sums, certificate prices by brute force), 8 by its closed form when K = 0,
  the output multipliers by a dense inverse;
- compare(): one quantity against another under a tolerance."""
import configparser
import hashlib
import math
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "peers"))
import numpy_deals  # noqa: E402
from policy_ref import funding_ref, market_ref  # noqa: E402

REFERENCE = os.path.normpath(os.path.join(HERE, "..", "reference"))
EXACT = "exact"  # integers and strings equal; floats bitwise (NaN equal to NaN)
REL = "rel 1e-12"  # |got - want| <= 1e-12 * max(1, |want|); equal infinities and NaN match
INDEPENDENT_TOL = 1e-9  # expected.json against independent(): the tolerance test_policy/test_boundary use for levels
COLS = ["GDP", "Jobs", "Balance", "Surplus", "traded", "blocked", "unfunded", "tariff_revenue",
        "network_multiplier", "WAR", "WAR_B", "q05", "q95", "not_win_win", "mean_cert_price"]
COUNT_COLS = {"traded", "blocked", "unfunded", "not_win_win"}
STATUS = ("WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN")
# the config keys independent() understands; any other key in a case's run.ini is refused, so the independent
# side never silently assumes a default the run does not use
KNOWN = {"input": {"file"}, "funding": {"budget", "theta"}, "assessment": {"draws", "seed"}}
POLICY_KEYS = {"kind", "regions", "rate", "ratio", "expiry", "floor"}


def cases():
    """Names of the reference cases: the folders of tests/reference holding a run.ini."""
    return sorted(d for d in os.listdir(REFERENCE) if os.path.isfile(os.path.join(REFERENCE, d, "run.ini")))


def case_files(name):
    folder = os.path.join(REFERENCE, name)
    return os.path.join(folder, "input.h5"), os.path.join(folder, "run.ini"), os.path.join(folder, "expected.json")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_config(ini):
    """run.ini as {section: {key: value}}, policies as {name: {key: value}} (none first, as tradebal orders them)."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    cp.read(ini)
    cfg, policies = {}, {"none": {"kind": "none"}}
    for s in cp.sections():
        keys = dict(cp[s])
        if s.startswith("policy."):
            bad = set(keys) - POLICY_KEYS
            policies[s[len("policy."):]] = keys
        else:
            bad = set(keys) - KNOWN.get(s, set())
            cfg[s] = keys
        if bad:
            raise ValueError(f"{ini}: [{s}] {sorted(bad)}: not understood by the independent reference (refcase.py)")
    return cfg, policies


def covered_regions(spec, R, home):
    regions = spec.get("regions", "home").strip()
    if regions == "home":
        return [r == home for r in range(R)]
    if regions == "all":
        return [True] * R
    ids = {int(x) for x in regions.split(",")}
    return [r in ids for r in range(R)]


def policy_params(spec):
    kind = spec["kind"]
    if kind == "tariff":
        return kind, dict(rate=float(spec.get("rate", 0.1)))
    if kind == "certificates":
        return kind, dict(ratio=float(spec.get("ratio", 1)), expiry=int(spec.get("expiry", 1)),
                          floor=float(spec.get("floor", 0)))
    return kind, {}


def _s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def key_outputs(out_path, in_path, ini):
    """[(quantity, value, tolerance)] of a run file: deal statuses, surplus, funding, output multipliers, the
    network iteration, every policy's metrics row, the recommendation and the certificate prices."""
    _, policies = read_config(ini)
    rows = []

    def add(name, value, tol):
        rows.append((name, value, tol))
    with h5py.File(out_path, "r") as o, h5py.File(in_path, "r") as f:
        st = o["/deals/status"][:]
        for code, label in enumerate(STATUS):
            add(f"deals {label}", int((st == code).sum()), EXACT)
        add("sum of S_d", math.fsum(o["/deals/surplus"][:]), REL)
        opp = o["/opportunities"]
        add("opportunities (k_d > 0)", int(opp.attrs["opportunities"]), EXACT)
        add("undervalued opportunities", int(opp["deal"].shape[0]), EXACT)
        add("funded opportunities", int(opp.attrs["funded_count"]), EXACT)
        funded = opp["deal"][:][opp["funded"][:] == 1]
        add("funded cost", math.fsum(f["/deals/cost"][:][funded]), REL)
        add("sum of output multipliers", math.fsum(o["/io/multipliers"][:]), REL)
        add("network iterations", int(o["/entities"].attrs["network_iterations"]), EXACT)
        add("network converged", int(o["/entities"].attrs["network_converged"]), EXACT)
        names = [_s(n) for n in o["/policies/names"][:]]
        add("policies", " ".join(names), EXACT)
        add("recommended policy", _s(o["/policies"].attrs["recommended"]), EXACT)
        add("draws K", int(o["/policies"].attrs["draws"]), EXACT)
        add("sigma_rep", float(_s(o["/policies"].attrs["sigma_rep"])), REL)
        add("sigma_rep fallback", int(o["/policies"].attrs["sigma_rep_fallback"]), EXACT)
        cols = [_s(c) for c in o["/policies/metrics"].attrs["columns"]]
        met = o["/policies/metrics"][:]
        for p, pname in enumerate(names):
            for c, col in enumerate(cols):
                v = float(met[p, c])
                add(f"{pname} {col}", int(v) if col in COUNT_COLS else v, EXACT if col in COUNT_COLS else REL)
        R, T = f["/trade/base_exports"].shape
        home = int(f["/io"].attrs["region"])
        for pname in names:
            kind, _ = policy_params(policies[pname])
            if kind != "certificates":
                continue
            price = o[f"/policies/{pname}/regions/cert_price"][:]
            for r, cov in enumerate(covered_regions(policies[pname], R, home)):
                for t in range(T):
                    if cov:
                        add(f"{pname} cert_price[{r},{t}]", float(price[r, t]), REL)
    return rows


def independent(in_path, ini):
    """{quantity: value} for the quantities of key_outputs() that follow from the input and config alone."""
    cfg, policies = read_config(ini)
    fund = cfg.get("funding", {})
    budget = float(fund.get("budget", "inf"))
    theta = float(fund.get("theta", 1.2))
    draws = int(cfg.get("assessment", {}).get("draws", 0))
    margin = 0.3  # model.margin_of_safety (run.ini may not change it: see KNOWN)
    out = {}
    with h5py.File(in_path, "r") as f:
        M = f["/deals/period"].shape[0]
        d = numpy_deals.compute(np, numpy_deals.load_entities(f, 0.5), numpy_deals.read_batch(f, 0, M),
                                "expected", "nash", "repair")
        S, st, bid = d["surplus"], d["status"], d["bid"]
        for code, label in enumerate(STATUS):
            out[f"deals {label}"] = int((st == code).sum())
        out["sum of S_d"] = math.fsum(S)
        k = f["/deals/cost"][:]
        ids, _, frank, funded, _ = funding_ref(f, S, st, margin, theta, budget)
        out["opportunities (k_d > 0)"] = int((k > 0).sum())
        out["undervalued opportunities"] = len(ids)
        out["funded opportunities"] = int(frank.sum())
        out["funded cost"] = math.fsum(k[ids[frank == 1]])
        A = f["/io/A"][:]
        out["sum of output multipliers"] = float(np.linalg.inv(np.eye(len(A)) - A).sum())
        R, T = f["/trade/base_exports"].shape
        home = int(f["/io"].attrs["region"])
        m = f["/deals/trade_value"][:]
        Y = {}
        for pname, spec in policies.items():
            kind, kw = policy_params(spec)
            cov = covered_regions(spec, R, home)
            ref = market_ref(f, {"/deals/status": st, "/deals/bid": bid}, funded, kind, cov, **kw)
            oc = ref["outcome"]
            traded = oc == 0
            balance = float((ref["exports"] - ref["imports"])[home].sum())
            surplus = float((S - ref["premium"] * m)[traded].sum())
            revenue = kw["rate"] * float(ref["imports"][np.array(cov)].sum()) if kind == "tariff" else 0.0
            row = dict(GDP=float(ref["gdp"]), Jobs=float(ref["jobs"]), Balance=balance, Surplus=surplus,
                       traded=int(traded.sum()), blocked=int(((oc == 3) | (oc == 4)).sum()),
                       unfunded=int((oc == 2).sum()), not_win_win=int((oc == 1).sum()), tariff_revenue=revenue)
            for col, v in row.items():
                out[f"{pname} {col}"] = v
            Y[pname] = row["GDP"] + row["Balance"] + row["Surplus"]  # section 8's default weights 1, 0, 1, 1
            if kind == "certificates":
                for r in range(R):
                    for t in range(T):
                        if cov[r]:
                            out[f"{pname} cert_price[{r},{t}]"] = float(ref["cert_price"][r, t])
        if draws == 0:  # K = 0: sigma_rep = 1, Z_p = Y_p - Y_none, WAR_B = (1 - margin) WAR, both quantiles Z_p
            out["sigma_rep"] = 1.0
            for pname in policies:
                z = Y[pname] - Y["none"]
                for col, v in (("WAR", z), ("WAR_B", (1 - margin) * z), ("q05", z), ("q95", z)):
                    out[f"{pname} {col}"] = v
            best = max((1 - margin) * (Y[p] - Y["none"]) for p in policies)
            top = [p for p in policies if (1 - margin) * (Y[p] - Y["none"]) >= best - 1e-9 * max(1.0, abs(best))]
            if len(top) == 1:  # a near tie is left to the run (rounding decides it)
                out["recommended policy"] = top[0]
    return out


def compare(got, want, tol):
    """True when got matches want under tol (EXACT, REL, or a float: relative to max(1, |want|))."""
    if isinstance(want, str) or isinstance(got, str):
        return got == want
    g, w = float(got), float(want)
    if math.isnan(w) or math.isnan(g):
        return math.isnan(w) and math.isnan(g)
    if math.isinf(w) or math.isinf(g):
        return g == w
    if tol == EXACT:
        return g == w
    rel = 1e-12 if tol == REL else float(tol)
    return abs(g - w) <= rel * max(1.0, abs(w))


def show(v):
    if isinstance(v, float):
        return repr(v)
    return str(v)
