#!/usr/bin/python3
"""MODEL.md section 9 end to end. Every scenario's metrics row must equal a plain run with the
scenario's values given by --set (bitwise); grid, one-at-a-time and Latin hypercube layouts
are checked by their definitions; Spearman, SRC and R^2 against SciPy and NumPy least squares
on the written rows; elasticities by hand. Shards merged with `tradebal merge` must equal the
unsharded run (h5diff, data only), and shards of another input or config are refused. The
sweep gives the same file at 1, 2 and 4 ranks, in any number of scenario groups.
Usage: test_sweep.py TRADEBAL WORKDIR MPIEXEC [MPI FLAGS...]"""
import itertools
import os
import sys

import h5py
import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal, h5_differences  # noqa: E402

run = Tradebal(sys.argv).run
check = Checks()


def same(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def h5same(a, b):
    return not h5_differences(a, b)


gen = run(["generate", "-o", "in.h5", "--entities", "1500", "--deals", "12000", "--regions", "4", "--periods", "4",
           "--sectors", "6", "--seed", "5", "--overwrite"])
check(gen.returncode == 0, f"generate: {gen.stderr}")
TWO_POLICIES = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "two_policies.ini")).read()
BASE = """[input]
file = in.h5
[output]
overwrite = true
[funding]
budget = 40
[assessment]
draws = 3
""" + TWO_POLICIES
LHS = BASE + """[sweep]
method = lhs
samples = 10
seed = 9
market.elasticity = 0.5:3
policy.tariff10.rate = 0:0.4
funding.theta = 1:2
policy.certs.expiry = 1:4
"""
open("lhs.ini", "w").write(LHS)
r = run(["run", "-c", "lhs.ini", "-o", "lhs.h5"])
check(r.returncode == 0, f"lhs sweep: {r.stderr[-2000:]}")
with h5py.File("lhs.h5") as f:
    x, m = f["/scenarios/params"][...], f["/scenarios/metrics"][...]
    names = [s.decode() if isinstance(s, bytes) else s for s in f["/scenarios/params"].attrs["names"]]
    cols = [s.decode() if isinstance(s, bytes) else s for s in f["/scenarios/metrics"].attrs["columns"]]
    best = f["/scenarios/recommended"][...]
    rho, src, r2 = f["/sensitivity/spearman"][...], f["/sensitivity/src"][...], f["/sensitivity/src_r2"][...]
    check(list(f["/scenarios/index"][...]) == list(range(10)), "scenario ids")
    check("elasticity" not in f["/sensitivity"], "elasticity only for oat sweeps")
check(names == ["market.elasticity", "policy.tariff10.rate", "funding.theta", "policy.certs.expiry"], f"names {names}")
check(len(cols) == 45 and cols[0] == "none/GDP" and cols[15 + 9] == "tariff10/WAR", f"columns {cols[:3]}")

# Latin hypercube: one scenario per stratum of every continuous parameter; integers rounded
for j, (lo, hi) in enumerate([(0.5, 3), (0, 0.4), (1, 2)]):
    strata = np.floor((x[:, j] - lo) / (hi - lo) * 10).astype(int)
    check(sorted(strata) == list(range(10)), f"LHS strata of {names[j]}: {sorted(strata)}")
check(np.all(x[:, 3] == np.round(x[:, 3])) and x[:, 3].min() >= 1 and x[:, 3].max() <= 4, "integer key rounded")

# every scenario is the plain run with its values (a different code path: no sweep, no cache)
for i in (0, 3, 9):
    sets = sum([["--set", f"{k}={int(v) if k.endswith('expiry') else repr(float(v))}"] for k, v in zip(names, x[i])], [])
    p = run(["run", "-c", "lhs.ini", "-o", f"plain{i}.h5", "--set", "sweep.method=none", *sets])
    check(p.returncode == 0, f"plain run {i}: {p.stderr[-1000:]}")
    with h5py.File(f"plain{i}.h5") as f:
        got = f["/policies/metrics"][...].ravel()
        rec = f["/policies"].attrs["recommended"]
        rec = rec.decode() if isinstance(rec, bytes) else rec
    check(same(got, m[i]), f"scenario {i}: sweep row differs from the plain run: {np.nanmax(np.abs(got - m[i]))}")
    check(["none", "tariff10", "certs"][best[i]] == rec, f"scenario {i}: recommended {best[i]} vs {rec}")

# sensitivity against SciPy / NumPy
for j in range(4):
    for c in range(45):
        want = stats.spearmanr(x[:, j], m[:, c])[0] if np.ptp(m[:, c]) > 0 and np.all(np.isfinite(m[:, c])) else np.nan
        check((np.isnan(want) and np.isnan(rho[j, c])) or abs(want - rho[j, c]) < 1e-12,
              f"spearman [{names[j]}, {cols[c]}]: {rho[j, c]} vs {want}")
z = (x - x.mean(0)) / x.std(0, ddof=1)
for c in range(45):
    y = m[:, c]
    if not (np.all(np.isfinite(y)) and np.ptp(y) > 0):
        check(np.all(np.isnan(src[:, c])) and np.isnan(r2[c]), f"src of constant {cols[c]} is NaN")
        continue
    yz = (y - y.mean()) / y.std(ddof=1)
    b, *_ = np.linalg.lstsq(z, yz, rcond=None)
    want_r2 = 1 - np.sum((yz - z @ b) ** 2) / np.sum(yz ** 2)
    check(np.allclose(src[:, c], b, rtol=1e-9, atol=1e-9), f"src {cols[c]}: {src[:, c]} vs {b}")
    check(abs(r2[c] - want_r2) < 1e-9, f"r2 {cols[c]}: {r2[c]} vs {want_r2}")

# grid: the product of each parameter's points, the last fastest
open("grid.ini", "w").write(BASE + "[sweep]\nmethod = grid\npoints = 3\nmarket.elasticity = 1:2\n"
                            "policy.tariff10.rate = 0.05, 0.2\n")
r = run(["run", "-c", "grid.ini", "-o", "grid.h5"])
check(r.returncode == 0, f"grid sweep: {r.stderr[-1000:]}")
with h5py.File("grid.h5") as f:
    check(same(f["/scenarios/params"][...], np.array(list(itertools.product([1, 1.5, 2], [0.05, 0.2])))),
          "grid layout")

# one at a time: the centre first, then each parameter alone; elasticity by hand
open("oat.ini", "w").write(BASE + "[sweep]\nmethod = oat\npoints = 3\nmarket.elasticity = 1:2\n"
                           "policy.tariff10.rate = 0.05:0.25\n")
r = run(["run", "-c", "oat.ini", "-o", "oat.h5"])
check(r.returncode == 0, f"oat sweep: {r.stderr[-1000:]}")
with h5py.File("oat.h5") as f:
    xo, mo, el = f["/scenarios/params"][...], f["/scenarios/metrics"][...], f["/sensitivity/elasticity"][...]
mid = 0.05 + (0.25 - 0.05) * 0.5  # point l of lo:hi is lo + (hi - lo) * l / (points - 1)
check(same(xo, np.array([[1.5, mid], [1, mid], [2, mid], [1.5, 0.05], [1.5, 0.25]])), f"oat layout {xo}")
for j, (lo, hi) in enumerate([(1, 2), (3, 4)]):
    with np.errstate(all="ignore"):
        want = ((mo[hi] - mo[lo]) / mo[0]) / ((xo[hi, j] - xo[lo, j]) / xo[0, j])
    want[~np.isfinite(want)] = np.nan
    check(np.allclose(el[j], want, rtol=1e-12, equal_nan=True), f"elasticity of {j}: {el[j]} vs {want}")
check(np.isfinite(el[1, 15 + 0]) and np.isfinite(el[0, 15 + 2]), "tariff GDP / balance elasticities defined")

# shards and merge
for i in range(3):
    r = run(["run", "-c", "lhs.ini", "-o", f"shard{i}.h5", "--set", f"sweep.shard={i}", "--set", "sweep.shards=3"])
    check(r.returncode == 0, f"shard {i}: {r.stderr[-1000:]}")
with h5py.File("shard1.h5") as f:
    check(list(f["/scenarios/index"][...]) == [3, 4, 5] and "sensitivity" not in f, "shard 1 holds scenarios 3-5")
r = run(["merge", "-o", "merged.h5", "shard0.h5", "shard1.h5", "shard2.h5", "--overwrite"])
check(r.returncode == 0, f"merge: {r.stderr}")
check(h5same("lhs.h5", "merged.h5"), "merged shards differ from the unsharded run")
with h5py.File("merged.h5", "r+") as f:  # negative control: the comparison sees one ulp
    v = f["/sensitivity/src"]
    k = np.flatnonzero(np.isfinite(v[...]))[0]
    w = v[...].ravel()
    w[k] = np.nextafter(w[k], np.inf)
    v[...] = w.reshape(v.shape)
check(not h5same("lhs.h5", "merged.h5"), "negative control: h5diff missed a one-ulp change")


def refused(files, what):
    if os.path.exists("bad.h5"):
        os.remove("bad.h5")
    r = run(["merge", "-o", "bad.h5", *files])
    check(r.returncode == 3 and r.stderr.count("\n") == 1 and not os.path.exists("bad.h5"),
          f"merge {what}: rc {r.returncode}, {r.stderr!r}")
    return r.stderr


refused(["shard0.h5", "shard2.h5", "shard1.h5"], "out of order")
check("2 file(s) were given" in run(["merge", "-o", "bad.h5", "shard0.h5", "shard1.h5"]).stderr, "a missing shard")
r = run(["run", "-c", "lhs.ini", "-o", "other_cfg.h5", "--set", "sweep.shard=1", "--set", "sweep.shards=3",
         "--set", "funding.budget=41"])
check("config differs" in refused(["shard0.h5", "other_cfg.h5", "shard2.h5"], "other config"), "config named")
run(["generate", "-o", "in2.h5", "--entities", "1500", "--deals", "12000", "--regions", "4", "--periods", "4",
     "--sectors", "6", "--seed", "6", "--overwrite"])
r = run(["run", "-c", "lhs.ini", "-o", "other_in.h5", "--set", "sweep.shard=2", "--set", "sweep.shards=3",
         "--set", "input.file=in2.h5"])
check("different inputs" in refused(["shard0.h5", "shard1.h5", "other_in.h5"], "other input"), "input named")

# ranks and scenario groups: 2 and 4 ranks, 1, 2 and 4 groups (deal partitions of 4, 2 and 1 ranks)
for n, groups in ((2, 0), (4, 0), (4, 1), (4, 2)):
    r = run(["run", "-c", "lhs.ini", "-o", f"lhs_{n}_{groups}.h5", "--set", f"sweep.groups={groups}"], ranks=n)
    check(r.returncode == 0, f"{n} ranks, groups {groups}: {r.stderr[-1000:]}")
    check(h5same("lhs.h5", f"lhs_{n}_{groups}.h5"), f"{n} ranks, groups {groups} differ from 1 rank")

# bad sweeps: one line, exit 2, no output
for sets, want in ((["sweep.run.batch_deals=1:9"], "cannot be swept"),
                   (["sweep.method=random", "sweep.market.alpha=1,2"], "unknown key"),
                   (["sweep.method=random", "sweep.market.elasticity=1,2"], "give lo:hi"),
                   (["sweep.method=oat", "sweep.points=4"], "odd number"),
                   (["sweep.method=grid", "sweep.assessment.draws=0,1"], "sweep scenario"),
                   (["sweep.policy.nosuch.rate=0:1"], "no such policy"),
                   (["sweep.market.elasticity=-1:2"], "expected a number"),
                   (["sweep.shard=3", "sweep.shards=3"], "sweep.shard")):
    args = sum([["--set", s] for s in sets], [])
    r = run(["run", "-c", "lhs.ini", "-o", "bad.h5", *args])
    check(r.returncode == 2 and want in r.stderr and r.stderr.count("\n") == 1 and not os.path.exists("bad.h5"),
          f"{sets}: rc {r.returncode}, {r.stderr!r}")
check.finish()
