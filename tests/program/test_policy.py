#!/usr/bin/python3
"""MODEL.md sections 4-5 end to end against an independent Python reference:
budget selection against a sorted reference, the sector index, every policy's periods
(certificate prices by brute force over candidate prices, a ledger of tranches,
earliest-expiry use, expiry), per-deal outcomes, the recommended policy's transfers,
and a tariff set to the certificate price reproducing the certificate outcome.
Usage: test_policy.py TRADEBAL WORKDIR"""
import math
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, WORK = sys.argv[1], os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers"))
import numpy_deals  # noqa: E402  (kappa per entity)
from policy_ref import funding_ref, market_ref, rel  # noqa: E402

check = Checks()
os.makedirs(WORK, exist_ok=True)


def run(inp, out, policies, extra=()):
    ini = os.path.join(WORK, "p.ini")
    with open(ini, "w") as f:
        f.write(f"[input]\nfile = {inp}\n[funding]\nbudget = 150\n")
        for name, body in policies.items():
            f.write(f"[policy.{name}]\n{body}\n")
    r = subprocess.run([TB, "run", "-c", ini, "-o", out, "--overwrite", *extra], capture_output=True, text=True)
    check(r.returncode == 0, f"run {out}: {r.stderr}")
    return r.stdout


# ---- scenario 1: a generated economy, all regions under each policy ----
IN = os.path.join(WORK, "in.h5")
subprocess.run([TB, "generate", "-o", IN, "--entities", "800", "--deals", "6000", "--regions", "4",
                "--periods", "5", "--sectors", "5", "--seed", "21", "--overwrite"], check=True, stdout=subprocess.DEVNULL)
OUT = os.path.join(WORK, "out.h5")
stdout = run(IN, OUT, {"tariff": "kind = tariff\nrate = 0.25\nregions = all",
                       "certs": "kind = certificates\nratio = 0.6\nexpiry = 2\nfloor = 0.02\nregions = 0, 2, 3",
                       "rich": "kind = certificates\nratio = 2.5\nexpiry = 2\nregions = all"})
with h5py.File(IN, "r") as f, h5py.File(OUT, "r") as o:
    ids, uB, frank, funded, idx = funding_ref(f, o["/deals/surplus"][:], o["/deals/status"][:])
    check(len(ids) > 20 and 0 < frank.sum() < len(ids), f"the budget binds: {frank.sum()} of {len(ids)} funded")
    check(np.array_equal(o["/opportunities/deal"][:], ids), "opportunities ranked by u^B, ties by id")
    check(rel(o["/opportunities/ratio"][:], uB) <= 1e-15, "u^B")
    check(np.array_equal(o["/opportunities/funded"][:], frank), "budget prefix")
    check(np.array_equal(o["/deals/funded"][:], funded), "/deals/funded")
    check(rel(np.nan_to_num(o["/opportunities/sector_index"][:], nan=-1), np.nan_to_num(idx, nan=-1)) <= 1e-12,
          "sector opportunity index")
    names = [n.decode() for n in o["/policies/names"][:]]
    check(names == ["none", "tariff", "certs", "rich"], f"policy names, none first: {names}")
    R = f["/trade/base_exports"].shape[0]
    specs = {"none": ("none", [True] * R, {}),
             "tariff": ("tariff", [True] * R, dict(rate=0.25)),
             "certs": ("certificates", [r in (0, 2, 3) for r in range(R)], dict(ratio=0.6, expiry=2, floor=0.02)),
             "rich": ("certificates", [True] * R, dict(ratio=2.5, expiry=2))}
    refs = {}
    for name, (kind, cov, kw) in specs.items():
        ref = refs[name] = market_ref(f, o, funded, kind, cov, **kw)
        g = o[f"/policies/{name}"]
        check(np.array_equal(g["deals/outcome"][:], ref["outcome"]),
              f"{name}: outcomes differ at {np.nonzero(g['deals/outcome'][:] != ref['outcome'])[0][:5]}")
        for key in ("exports", "imports", "cert_price", "cert_issued", "cert_used", "cert_expired"):
            check(rel(g["regions/" + key][:], ref[key]) <= 1e-12, f"{name}: regions/{key} off by {rel(g['regions/' + key][:], ref[key]):.3g}")
        check(rel(g["regions/balance"][:], ref["exports"] - ref["imports"]) <= 1e-12, f"{name}: balance")
        row = names.index(name)
        met = o["/policies/metrics"][row]
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in o["/policies/metrics"].attrs["columns"]]
        check(rel(met[cols.index("GDP")], ref["gdp"]) <= 1e-9 and rel(met[cols.index("Jobs")], ref["jobs"]) <= 1e-9,
              f"{name}: GDP {met[cols.index('GDP')]} vs {ref['gdp']}, jobs {met[cols.index('Jobs')]} vs {ref['jobs']}")
    A = f["/io/A"][:]
    check(rel(o["/io/multipliers"][:], np.linalg.inv(np.eye(A.shape[0]) - A).sum(axis=0)) <= 1e-12, "/io/multipliers")
    cp = refs["certs"]["cert_price"]
    check((cp[[0, 2, 3]] > 0.02).any() and (cp[[0, 2, 3]] == 0.02).any(), f"scarce and plentiful periods both occur:\n{cp}")
    check(refs["rich"]["cert_expired"].sum() > 0 and refs["certs"]["cert_used"].sum() > 0,
          "certificates are used, and some expire unused")
    iss, use, expd = (refs["rich"][k].sum() for k in ("cert_issued", "cert_used", "cert_expired"))
    check(use + expd <= iss * (1 + 1e-12), "used + expired <= issued")
    check((refs["certs"]["outcome"] == 3).sum() > 0 and (refs["tariff"]["outcome"] == 4).sum() > 0, "both block deals")
    # the recommended policy at the root, its transfers: V'' / kappa sums to S - P m on traded deals
    best = o["/policies"].attrs["recommended"]
    best = best.decode() if isinstance(best, bytes) else str(best)
    check(np.array_equal(o["/deals/outcome"][:], o[f"/policies/{best}/deals/outcome"][:]), "root outcome = recommended")
    ent = numpy_deals.load_entities(f, 0.5)
    pp, pe = f["/deals/party_ptr"][:], f["/deals/party_entity"][:]
    kappa = ent["fac"][pe, 0]
    fv, tr, val = o["/deals/final_value"][:], o["/deals/transfer"][:], o["/deals/value"][:]
    deal_of = np.repeat(np.arange(len(pp) - 1), np.diff(pp))
    money = np.bincount(deal_of, fv / kappa, minlength=len(pp) - 1)
    trsum = np.bincount(deal_of, tr, minlength=len(pp) - 1)
    ref = refs[best]
    traded = ref["outcome"] == 0
    want = o["/deals/surplus"][:] - ref["premium"] * f["/deals/trade_value"][:]
    check(rel(money[traded], want[traded]) <= 1e-9, f"traded deals keep S - P m ({best})")
    check(np.abs(trsum[traded]).max() <= 1e-9 * max(1, np.abs(tr).max()), "transfers sum to zero")
    nt = ~traded[deal_of]
    check(np.array_equal(fv[nt], val[nt]) and not tr[nt].any(), "deals that do not trade keep V, no transfer")
    for line in ("policy none", "policy tariff", "policy certs"):
        check(line in stdout, f"summary line '{line}'")

# ---- scenario 2: one period, one region: a tariff at the certificate price reproduces it ----
IN1 = os.path.join(WORK, "in1.h5")
subprocess.run([TB, "generate", "-o", IN1, "--entities", "500", "--deals", "4000", "--regions", "3",
                "--periods", "1", "--sectors", "4", "--seed", "5", "--overwrite"], check=True, stdout=subprocess.DEVNULL)
A, B = os.path.join(WORK, "cert1.h5"), os.path.join(WORK, "tariff1.h5")
run(IN1, A, {"certs": "kind = certificates\nratio = 0.5\nexpiry = 1\nregions = home"}, ["--set", "funding.budget=inf"])
with h5py.File(A, "r") as o:
    home = int(h5py.File(IN1, "r")["/io"].attrs["region"])
    Pstar = float(o["/policies/certs/regions/cert_price"][home, 0])
check(0 < Pstar < math.inf, f"a scarce certificate market: P* = {Pstar}")
run(IN1, B, {"tariff": f"kind = tariff\nrate = {Pstar!r}\nregions = home"}, ["--set", "funding.budget=inf"])
with h5py.File(A, "r") as a, h5py.File(B, "r") as b:
    oc, ot = a["/policies/certs/deals/outcome"][:], b["/policies/tariff/deals/outcome"][:]
    check(np.array_equal(np.where(oc == 3, 4, oc), ot) and (oc == 3).any(), "same deals blocked")
    for key in ("exports", "imports", "balance"):
        check(rel(a[f"/policies/certs/regions/{key}"][:], b[f"/policies/tariff/regions/{key}"][:]) <= 1e-12,
              f"tariff = P*: {key}")
    ma, mb = a["/policies/metrics"][:], b["/policies/metrics"][:]
    check(rel(ma[1, :4], mb[1, :4]) <= 1e-12, "tariff = P*: GDP, jobs, balance and surplus")
check.finish()
