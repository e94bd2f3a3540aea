#!/usr/bin/python3
"""`tradebal generate --locality L` (issue 25): regions are contiguous id blocks and a share L of the links
stays in its region, counted here from the file's edges and entity regions (mode `share`); a run on such a
graph gives bitwise identical network outputs at 1, 2 and 3 ranks and fetches exactly the halo, the remote
sources of each rank's in-edges, counted here from the file (mode `ranks`). Mode `comm`: the bytes `run` counts
through tb_comm at 2 ranks (its "communication" line) against the graph: the halo fetches are exactly 8 bytes x
halo x iterations, and the network phase's busiest rank sends at least its halo rows, edge routes and the
iteration's norms, and at most that plus a bound on the rest (direct values, centrality rows, halo ids).
Usage: test_locality.py share|ranks|comm TRADEBAL WORKDIR [MPIEXEC...]"""
import os
import re
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

MODE, TB, W, MPI = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3]), sys.argv[4:]
check = Checks()
os.makedirs(W, exist_ok=True)


def generate(path, *opts, ranks=1):
    cmd = ([*MPI, "-n", str(ranks)] if ranks > 1 else []) + [TB, "generate", "-o", path, "--overwrite", *opts]
    return subprocess.run(cmd, capture_output=True, text=True)


def graph(path):
    with h5py.File(path, "r") as f:
        ptr, col, reg = f["/network/ptr"][:], f["/network/col"][:], f["/entities/region"][:]
    return np.repeat(np.arange(len(ptr) - 1), np.diff(ptr)), col, reg


def block_lo(n, r, size):  # host/core/tb_block.h
    return (n // size) * r + ((n % size) * r) // size


def share_mode():
    for L in (0.9, 0.5, 0.0):
        path = os.path.join(W, f"loc{L}.h5")
        r = generate(path, "--entities", "20000", "--deals", "2000", "--regions", "8", "--seed", "5",
                     "--locality", str(L))
        check(r.returncode == 0, f"generate --locality {L}: {r.stderr[-300:]}")
        src, col, reg = graph(path)
        share = float(np.mean(reg[src] == reg[col]))
        tol = 4 * np.sqrt(max(L * (1 - L), 1e-12) / len(col))  # 4 standard errors of a Bernoulli share
        check(abs(share - L) <= tol, f"within-region share {share:.4f} = {L} +- {tol:.4f} over {len(col)} links")
        check(np.all(np.diff(reg) >= 0) and len(np.unique(reg)) == 8, "regions are contiguous id blocks")
        check(not np.any(src == col), "no self-links")
        if L == 0.9:  # links leaving a region go to every other region
            out = reg[col][reg[src] != reg[col]]
            check(np.all(np.bincount(out, minlength=8) > 0), "cross-region links reach every region")
    # the same data at any rank count
    path2 = os.path.join(W, "loc0.9_r3.h5")
    r = generate(path2, "--entities", "20000", "--deals", "2000", "--regions", "8", "--seed", "5",
                 "--locality", "0.9", "--batch", "777", ranks=3)
    check(r.returncode == 0, f"generate at 3 ranks: {r.stderr[-300:]}")
    a, b = graph(os.path.join(W, "loc0.9.h5")), graph(path2)
    check(all(np.array_equal(x, y) for x, y in zip(a, b)), "3 ranks with small batches write the same graph")
    # one region: every link stays in it
    r = generate(os.path.join(W, "one.h5"), "--entities", "500", "--deals", "100", "--regions", "1",
                 "--locality", "0.3")
    src, col, reg = graph(os.path.join(W, "one.h5"))
    check(r.returncode == 0 and np.all(reg[src] == reg[col]), "one region: every link within it")
    for bad in (("--locality", "1.5"), ("--locality", "nan"), ("--locality", "0.9", "--entities", "10",
                                                                 "--regions", "8")):
        r = generate(os.path.join(W, "bad.h5"), *bad)
        check(r.returncode == 2 and "locality" in r.stderr, f"refused: {' '.join(bad)} (exit {r.returncode})")


OUT = ("/entities/direct_value", "/entities/network_value", "/entities/centrality", "/entities/influence")


def run(inp, out, ranks):
    ini = os.path.join(W, "l.ini")
    with open(ini, "w") as f:
        f.write(f"[input]\nfile = {inp}\n[network]\ntol = 1e-13\n[run]\nprogress = never\n")
    cmd = ([*MPI, "-n", str(ranks)] if ranks > 1 else []) + [TB, "run", "-c", ini, "-o", out, "--overwrite"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    check(r.returncode == 0, f"run at {ranks} ranks: {r.stderr[-500:]}")
    return r.stdout


def halo(inp, size):  # unique remote sources of each rank's in-edges
    src, col, reg = graph(inp)
    N = len(reg)
    own = np.searchsorted([block_lo(N, r, size) for r in range(1, size)], np.arange(N), side="right")
    remote = own[src] != own[col]
    counts = [len(np.unique(src[remote & (own[col] == r)])) for r in range(size)]
    return sum(counts), max(counts)


def ranks_mode():
    inp = os.path.join(W, "loc.h5")
    r = generate(inp, "--entities", "3000", "--deals", "6000", "--regions", "6", "--seed", "11", "--locality", "0.85")
    check(r.returncode == 0, f"generate: {r.stderr[-300:]}")
    got = {}
    for n in (1, 2, 3):
        out = os.path.join(W, f"loc{n}.h5")
        stdout = run(inp, out, n)
        with h5py.File(out, "r") as o:
            got[n] = ([o[d][:] for d in OUT], dict(o["/entities"].attrs))
        if n > 1:
            m = re.search(r"network halo: (\d+) entities .* \((\d+) on the busiest rank\)", stdout)
            want = halo(inp, n)
            check(m and (int(m.group(1)), int(m.group(2))) == want,
                  f"{n} ranks fetch exactly the halo {want}: {m.group(0) if m else 'no halo line'}")
    conv = got[1][1].get("network_converged")
    check(conv == 1, "the iteration converged")
    for n in (2, 3):
        same = all(np.array_equal(a, b) for a, b in zip(got[1][0], got[n][0]))
        check(same, f"network outputs ({', '.join(OUT)}) bitwise identical at 1 and {n} ranks")
        check(all(got[1][1][k] == got[n][1][k] for k in got[1][1] if k.startswith("network")),
              f"network iterations and residual identical at 1 and {n} ranks")


def comm_figures(stdout):
    m = re.search(r"communication: ([\d.]+) MB sent by the busiest rank \(([\d.]+) MB received\), ([\d.]+) MB in all; "
                  r"sent by phase \(MB, busiest rank\): (.*); halo fetches ([\d.]+) MB in all", stdout)
    check(m is not None, "a communication line at 2 ranks")
    phases = {k: float(v) for k, v in (p.split() for p in m.group(4).split(", "))} if m else {}
    return [float(m.group(i)) for i in (1, 2, 3, 5)] if m else [0] * 4, phases


def comm_mode():
    inp = os.path.join(W, "rand.h5")  # a random graph: most links leave a rank, a large halo
    r = generate(inp, "--entities", "20000", "--deals", "6000", "--seed", "11")
    check(r.returncode == 0, f"generate: {r.stderr[-300:]}")
    check("communication:" not in run(inp, os.path.join(W, "c1.h5"), 1), "no communication line at 1 rank")
    out = run(inp, os.path.join(W, "c2.h5"), 2)
    (busiest, received, total, halo_mb), phases = comm_figures(out)
    it = int(re.search(r"(\d+) Jacobi iterations", out).group(1))
    parties = int(re.search(r"(\d+) parties", out).group(1))
    src, col, reg = graph(inp)
    N, lo1 = len(reg), block_lo(len(reg), 1, 2)
    own_s, own_c = (src >= lo1).astype(int), (col >= lo1).astype(int)
    # rank r's halo: the remote sources of its in-edges; it sends the other rank's halo rows
    need = [len(np.unique(src[(own_c == r) & (own_s != r)])) for r in (0, 1)]
    want_halo = 8 * sum(need) * it / 1e6
    check(abs(halo_mb - want_halo) <= 5.01e-4, f"halo fetches {halo_mb} MB = 8 B x {sum(need)} x {it} iterations")
    check(received == busiest, f"2 ranks: the busiest rank receives what the other sends ({received} = {busiest})")
    check(busiest <= total <= 2 * busiest + 1e-3, f"busiest rank {busiest} <= all {total} <= twice it")
    check(set(phases) == {"validate", "load", "deals", "markets", "policies", "network", "output"}, f"phases {phases}")
    check(sum(phases.values()) >= busiest - 4e-3, f"the phases' busiest ranks hold at least {busiest} MB")
    # rank r sends: the other's halo rows each iteration, its edges to the other's targets (24 B), the norms
    low = max(8 * need[1 - r] * it + 24 * int(np.sum((own_s == r) & (own_c != r))) + 32 * it for r in (0, 1)) / 1e6
    # and at most every direct value (16 B a party), centrality ids and rows and halo ids (8 B an entity each)
    high = low + (16 * parties + 24 * N) / 1e6 + 0.01
    check(low - 5e-4 <= phases.get("network", 0) <= high, f"network phase {phases.get('network')} MB in [{low:.3f}, {high:.3f}]")
    check(phases.get("deals", 0) > 0 and phases.get("policies", 0) > 0, "the deal passes fetch remote entity rows")


{"share": share_mode, "ranks": ranks_mode, "comm": comm_mode}[MODE]()
check.finish()
