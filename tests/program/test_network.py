#!/usr/bin/python3
"""MODEL.md section 6 against a plain dense solve: network values x of (I - alpha W~^T) x = b
with b the run's direct values, on a generated graph and on the real 1999 world trade network
(NBER-UN, 174 countries; skipped when ../shared/data/real is absent), at 1, 2 and 4 ranks;
centrality and influence by their formulas; direct values from the final values of traded
deals; non-convergence reported. Usage: test_network.py TRADEBAL WORKDIR REALDIR MPIEXEC [FLAGS...]"""
import csv
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, WORK, REAL, MPI = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3], sys.argv[4:]
check = Checks()
os.makedirs(WORK, exist_ok=True)


def run(inp, out, ranks=1, extra=()):
    ini = os.path.join(WORK, "n.ini")
    with open(ini, "w") as f:
        f.write(f"[input]\nfile = {inp}\n[network]\nalpha = 0.45\ntol = 1e-13\n")
    cmd = ([*MPI, "-n", str(ranks)] if ranks > 1 else []) + [TB, "run", "-c", ini, "-o", out, "--overwrite", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    check(r.returncode == 0, f"run {out}: {r.stderr[-500:]}")
    return r.stdout


def reference(inp, out, alpha=0.45):
    with h5py.File(inp, "r") as f, h5py.File(out, "r") as o:
        ptr, col, w = f["/network/ptr"][:], f["/network/col"][:], f["/network/weight"][:]
        N = len(ptr) - 1
        W = np.zeros((N, N))
        src = np.repeat(np.arange(N), np.diff(ptr))
        np.add.at(W, (src, col), w)
        rows = W.sum(axis=1)
        Wn = W / np.maximum(1.0, rows)[:, None]
        b = o["/entities/direct_value"][:]
        x = np.linalg.solve(np.eye(N) - alpha * Wn.T, b)
        C = rows / w.sum()
        # influence: sum over out-edges (parallel edges count each time) of C_j
        I = C * np.sqrt(np.bincount(src, C[col], minlength=N))
        # direct values: sum of V'' over parties of traded deals
        pp, pe = f["/deals/party_ptr"][:], f["/deals/party_entity"][:]
        traded = np.repeat(o["/deals/outcome"][:] == 0, np.diff(pp))
        bref = np.bincount(pe[traded], o["/deals/final_value"][:][traded], minlength=N)
        return dict(x=x, b=bref, C=C, I=I, got_x=o["/entities/network_value"][:], got_b=b,
                    got_C=o["/entities/centrality"][:], got_I=o["/entities/influence"][:],
                    conv=int(o["/entities"].attrs["network_converged"]))


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300 + np.abs(b).max() * 1e-12))) if len(b) else 0.0


def compare(inp, out, what):
    r = reference(inp, out)
    check(r["conv"] == 1, f"{what}: converged")
    check(rel(r["got_b"], r["b"]) <= 1e-12, f"{what}: direct values = sum of V'' of traded deals ({rel(r['got_b'], r['b']):.2g})")
    check(rel(r["got_x"], r["x"]) <= 1e-9, f"{what}: network values vs dense solve ({rel(r['got_x'], r['x']):.2g})")
    check(rel(r["got_C"], r["C"]) <= 1e-12 and rel(r["got_I"], r["I"]) <= 1e-12, f"{what}: centrality and influence")


# generated economy: a power-law graph, several ranks, bitwise identical network values
IN = os.path.join(WORK, "gen.h5")
subprocess.run([TB, "generate", "-o", IN, "--entities", "1500", "--deals", "5000", "--seed", "8", "--overwrite"],
               check=True, stdout=subprocess.DEVNULL)
outs = {}
for n in (1, 2, 4):
    outs[n] = os.path.join(WORK, f"gen{n}.h5")
    run(IN, outs[n], n, ["--set", f"run.batch_deals={700 * n + 3}"])
compare(IN, outs[1], "generated graph")
with h5py.File(outs[1], "r") as a:
    x1 = a["/entities/network_value"][:]
    for n in (2, 4):
        with h5py.File(outs[n], "r") as b:
            check(np.array_equal(x1, b["/entities/network_value"][:]) and
                  np.array_equal(a["/entities/influence"][:], b["/entities/influence"][:]),
                  f"bitwise identical network values and influence at 1 and {n} ranks")

# non-convergence: reported in the summary and the output
out = os.path.join(WORK, "nc.h5")
stdout = run(IN, out, 1, ["--set", "network.max_iter=2"])
with h5py.File(out, "r") as o:
    check(o["/entities"].attrs["network_converged"] == 0 and o["/entities"].attrs["network_iterations"] == 2,
          "non-convergence recorded")
check("WARNING: network iteration" in stdout, "non-convergence warned in the summary")

# the 1999 world trade network: country i imported w from j, so goods (and spillovers) flow j -> i
edges = os.path.join(REAL, "world-trade-1999-nber-un", "edges_imports_1999.csv")
if os.path.exists(edges):
    with open(edges) as fp:
        rows = [(int(r["exporter_id"]) - 1, int(r["importer_id"]) - 1, float(r["imports_kusd"]))
                for r in csv.DictReader(fp)]
    rows = sorted((s, d, w / 1e6) for s, d, w in rows if s != d)  # drop the 6 self-loops (SOURCE.md); bn USD
    N = 174
    WT = os.path.join(WORK, "wtn.h5")
    subprocess.run([TB, "generate", "-o", WT, "--entities", str(N), "--deals", "3000", "--seed", "9", "--overwrite"],
                   check=True, stdout=subprocess.DEVNULL)
    with h5py.File(WT, "r+") as f:
        src = np.array([r[0] for r in rows])
        for name in ("ptr", "col", "weight"):
            del f["/network/" + name]
        f["/network/ptr"] = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=N))]).astype(np.int64)
        f["/network/col"] = np.array([r[1] for r in rows], np.int64)
        f["/network/weight"] = np.array([r[2] for r in rows])
    check(len(rows) == 11749, f"11,755 arcs less 6 self-loops: {len(rows)}")
    for n in (1, 4):
        out = os.path.join(WORK, f"wtn{n}.h5")
        run(WT, out, n)
        compare(WT, out, f"world trade 1999, {n} ranks")
    with h5py.File(os.path.join(WORK, "wtn1.h5"), "r") as o:
        C = o["/entities/centrality"][:]
        top = int(np.argmax(C))
    with open(os.path.join(REAL, "world-trade-1999-nber-un", "countries.csv")) as fp:
        names = {int(r["id"]) - 1: r["name"] for r in csv.DictReader(fp)}
    check(names[top] == "USA", f"largest exporter by strength centrality: {names[top]}")
else:
    print("skip: world trade network not found under", REAL)
check.finish()
