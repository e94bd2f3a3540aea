#!/usr/bin/python3
"""`tradebal generate` makes the shapes issue 2 asks for, consistent with MODEL.md section 1.
Usage: test_generate.py TRADEBAL WORKDIR"""
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, W = sys.argv[1], sys.argv[2]
check = Checks()
os.makedirs(W, exist_ok=True)
path = os.path.join(W, "gen.h5")
subprocess.run([TB, "generate", "-o", path, "--entities", "20000", "--deals", "50000", "--regions", "7",
                "--periods", "4", "--sectors", "12", "--seed", "3", "--overwrite"], check=True,
               stdout=subprocess.DEVNULL)


with h5py.File(path, "r") as f:
    npart = np.diff(f["/deals/party_ptr"][:])
    ncomp = np.diff(f["/deals/comp_ptr"][:])
    nflow = np.diff(f["/deals/flow_ptr"][:])
    check(npart.min() >= 2 and npart.max() <= 8, f"parties per deal in 2..8: {npart.min()}..{npart.max()}")
    share23 = np.mean(npart <= 3)
    check(share23 >= 0.7, f"mostly 2-3 parties: {share23:.2f}")
    check(ncomp.min() >= 1 and ncomp.max() <= 4, "1-4 components per party")
    check(nflow.min() >= 1 and nflow.max() <= 10, "1-10 flows per component")
    lt = np.log(f["/deals/trade_value"][:])
    check(abs(lt.mean() - 1.5) < 0.05 and abs(lt.std() - 1.2) < 0.05, f"lognormal trade values: {lt.mean():.3f}, {lt.std():.3f}")
    deg = np.diff(f["/network/ptr"][:])
    check(9.0 <= deg.mean() <= 11.0, f"mean out-degree about 10: {deg.mean():.2f}")
    check(deg.max() >= 20 * deg.mean(), f"heavy-tailed degrees: max {deg.max()}")
    indeg = np.bincount(f["/network/col"][:], minlength=len(deg))
    check(indeg.max() >= 20 * indeg.mean(), f"popular entities: max in-degree {indeg.max()}")
    A = f["/io/A"][:]
    va = f["/io/value_added"][:]
    check((A >= 0).all() and (A.sum(axis=0) < 1).all(), "A >= 0 with column sums < 1")
    check(np.allclose(va, 1 - A.sum(axis=0), atol=1e-12), "value added = 1 - column sum of A")
    check(abs(f["/io/import_share"][:].sum() - 1) < 1e-12, "import shares sum to 1")
    t = f["/entities/type"][:]
    check(set(np.unique(t)) == {0, 1, 2, 3}, "all four entity types")
    er, ir = f["/deals/export_region"][:], f["/deals/import_region"][:]
    check(((ir == -1) | (ir != er)).all() and (ir == -1).any() and (ir >= 0).any(), "domestic deals have import_region -1")
    st = subprocess.run([TB, "validate", path], capture_output=True)
    check(st.returncode == 0, "the generated file validates")

check.finish()
