#!/usr/bin/python3
"""tradebal import on the real public files in shared/data/real, checked against the numbers their
publishers print (SOURCE.md, expected.md), then the worked example end to end (jobs/us2023.sh).
Usage: test_import.py TRADEBAL WORKDIR SHARED_DIR REPO_DIR"""
import csv
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, W, SHARED, REPO = (os.path.abspath(a) for a in sys.argv[1:5])
REAL = os.path.join(SHARED, "data", "real")
BEA = os.path.join(REAL, "bea-io-1997-summary")
RAW = os.path.join(BEA, "raw")
CENSUS = os.path.join(REAL, "us-census-goods-by-country")
if not os.path.isdir(RAW) or not os.path.isdir(CENSUS):
    print(f"skipped: {REAL} lacks the BEA or Census data")
    sys.exit(77)
check = Checks()
os.makedirs(W, exist_ok=True)
os.chdir(W)
os.environ["OMP_NUM_THREADS"] = "1"


def run(*args, env=None):
    p = subprocess.run([TB, *args], capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr.strip()


def dense(path):
    rows = list(csv.reader(open(path)))
    return [r[0] for r in rows[1:]], np.array([[float(x) for x in r[1:]] for r in rows[1:]])


def bea_args(*extra):
    return ["import", "bea", "--direct", f"{RAW}/IODirectRequirements.txt", "--make", f"{RAW}/IOMakeSummary.txt",
            *extra]


# --- BEA: A = W B reproduces the derivation in the data's SOURCE.md, and inv(I - A) BEA's Table 8
rc, out, err = run(*bea_args("--use", f"{RAW}/iousesummary.txt", "--total", f"{RAW}/IndbyIndTRSum.txt",
                             "--codes", f"{RAW}/IO-CodeSummary.txt", "-o", "io.h5", "--overwrite"))
check(rc == 0 and "131 sectors" in out, f"bea import: {rc} {err}")
codes, A_ref = dense(os.path.join(BEA, "A_ixi_derived.csv"))
_, L_pub = dense(os.path.join(BEA, "L_ixi_published.csv"))
with h5py.File("io.h5", "r") as f:
    A, va, share = f["io/A"][()], f["io/value_added"][()], f["io/import_share"][()]
    emp, home = f["io/employment"][()], int(f["io"].attrs["region"])
    names = list(f["io"].attrs["sector_names"])
    check(list(f["io"].attrs["sector_codes"]) == codes, "sector order is BEA's (sectors.csv)")
check(A.shape == (131, 131) and np.abs(A - A_ref).max() <= 1e-15, f"A = W B: max |diff| {np.abs(A - A_ref).max():.2e}")
L = np.linalg.inv(np.eye(131) - A)
check(np.abs(L - L_pub).max() <= 5e-5, f"inv(I - A) vs published Table 8: {np.abs(L - L_pub).max():.2e}")
check(abs(L.sum() - 259.9773976) < 1e-6, f"sum of L = 259.9773976 (expected.md): {L.sum():.7f}")
# value added per dollar of industry output: the V001-V003 rows of BEA's Table 5, read here independently
va_ref = np.zeros(131)
for r in csv.reader(open(f"{RAW}/IODirectRequirements.txt")):
    if len(r) >= 4 and r[0] in ("V001", "V002", "V003"):
        va_ref[codes.index(r[1])] += float(r[3])
check(np.abs(va - va_ref).max() < 1e-12 and 0.3 < np.median(va) < 0.7, f"value added: max |diff| {np.abs(va - va_ref).max():.1e}")
check(abs(share.sum() - 1) < 1e-12 and (share >= 0).all(), "import shares are a distribution")
# crop production imports: the use table's F050 entry (-12118.4) over total commodity imports, mapped by market share
check(share[codes.index("1110")] > share[codes.index("5411")], "crops import more than legal services")
check(names[0] == "Crop production" and not emp.any() and home == 0, "names, no employment without --employment, home 0")

# --- BEA from the total requirements alone: A = I - L^-1
rc, out, err = run("import", "bea", "--total", f"{RAW}/IndbyIndTRSum.txt", "-o", "io_total.h5", "--overwrite")
check(rc == 0, f"bea --total: {rc} {err}")
with h5py.File("io_total.h5", "r") as f:
    At = f["io/A"][()]
check((At >= 0).all() and np.abs(At - A_ref).max() < 1e-4, f"I - L^-1 vs A: {np.abs(At - A_ref).max():.2e}")

# --- Census: region 0 the US, then the largest partners; SOURCE.md's checks for 2023
rc, out, err = run("import", "census", f"{CENSUS}/country.csv", "--year", "2023", "--partners", "5",
                   "-o", "trade.h5", "--overwrite")
check(rc == 0, f"census import: {rc} {err}")
with h5py.File("trade.h5", "r") as f:
    ex, im = f["trade/base_exports"][()], f["trade/base_imports"][()]
    names = list(f["trade"].attrs["region_names"])
check(names == ["United States", "Mexico", "Canada", "China", "Germany", "Japan", "Rest of world"], f"regions {names}")
check(ex.shape == (7, 12), f"7 regions x 12 months: {ex.shape}")
check(abs(ex[0].sum() - 2018059.284) < 0.05 and abs(im[0].sum() - 3080170.295) < 0.05, "US 2023 exports and imports")
partners = {r["cty_name"]: r for r in csv.DictReader(open(f"{CENSUS}/us_goods_by_partner_2023.csv"))}
for k, n in enumerate(names[1:6], 1):  # a partner exports what the US imports from it
    p = partners[n]
    check(abs(ex[k].sum() - float(p["imports_musd"])) < 0.05 and abs(im[k].sum() - float(p["exports_musd"])) < 0.05,
          f"{n}: 12 months add up to the annual figures")
check(abs(im[0].sum() - ex[1:].sum()) < 1e-6 and abs(ex[0].sum() - im[1:].sum()) < 1e-6, "the partners add up to the US")
# the file as the Census publishes it (xlsx, read with openpyxl) gives the same tables as its CSV copy
rc, out, err = run("import", "census", f"{CENSUS}/raw/country.xlsx", "--partners", "5", "-o", "xlsx.h5", "--overwrite")
check(rc == 0, f"census import of the published xlsx: {rc} {err}")
if rc == 0:
    with h5py.File("xlsx.h5", "r") as f:
        check(np.array_equal(f["trade/base_exports"][()], ex) and np.array_equal(f["trade/base_imports"][()], im)
              and list(f["trade"].attrs["region_names"]) == names, "xlsx and CSV give the same tables")
rc, out, err = run("import", "census", f"{CENSUS}/country.csv", "--annual", "--partners", "5", "-o", "year.h5")
with h5py.File("year.h5", "r") as f:
    check(f["trade/base_exports"].shape == (7, 1) and abs(f["trade/base_exports"][2, 0] - 418618.659183) < 1e-6,
          "annual: Canada's exports to the US (IYR) in one period")

# --- assemble onto generated deals; the result is a valid input that runs
rc, _, err = run("generate", "-o", "deals.h5", "--entities", "500", "--deals", "5000", "--regions", "7",
                 "--periods", "12", "--sectors", "131", "--overwrite")
rc, out, err = run("import", "assemble", "deals.h5", "--io", "io.h5", "--trade", "trade.h5", "-o", "in.h5",
                   "--overwrite")
check(rc == 0, f"assemble: {rc} {err}")
rc, out, err = run("validate", "in.h5")
check(rc == 0 and "7 regions, 12 periods, 131 sectors" in out, f"assembled input validates: {rc} {out} {err}")
with h5py.File("in.h5", "r") as f:
    check(np.array_equal(f["io/A"][()], A) and np.array_equal(f["trade/base_imports"][()], im), "tables copied exactly")

# --- errors: tradebal's exit codes, nothing left behind
rc, _, err = run("import", "bea", "--direct", f"{RAW}/IOMakeSummary.txt", "--make", f"{RAW}/IOMakeSummary.txt",
                 "-o", "bad.h5")
check(rc == 3 and "table number 3" in err and not os.path.exists("bad.h5"), f"make table as direct: {rc} {err}")
rc, _, err = run("import", "bea", "--direct", "absent.txt", "--make", f"{RAW}/IOMakeSummary.txt", "-o", "bad.h5")
check(rc == 3 and "absent.txt" in err, f"missing file: {rc} {err}")
rc, _, err = run("import", "bea", "--make", f"{RAW}/IOMakeSummary.txt", "-o", "bad.h5")
check(rc == 2, f"bea without --direct or --total: {rc} {err}")
rc, _, err = run("import", "census", f"{CENSUS}/country.csv", "--year", "1900", "-o", "bad.h5")
check(rc == 3 and "1900" in err and not os.path.exists("bad.h5"), f"year without data: {rc} {err}")
rc, _, err = run("import", "census", f"{CENSUS}/country.csv", "-o", "trade.h5")
check(rc == 4 and "--overwrite" in err, f"existing output: {rc} {err}")
rc, _, err = run("generate", "-o", "wide.h5", "--entities", "100", "--deals", "500", "--regions", "7",
                 "--periods", "12", "--sectors", "200", "--overwrite")
rc, _, err = run("import", "assemble", "wide.h5", "--io", "io.h5", "--trade", "trade.h5", "-o", "bad.h5")
check(rc == 3 and "--sectors 131" in err and not os.path.exists("bad.h5"), f"deals with more sectors: {rc} {err}")
check(not [n for n in os.listdir(".") if ".tmp-" in n], "no temporary file left")

# --- the worked example end to end, small
env = dict(os.environ, TB=TB, OUT=os.path.join(W, "us2023"), DEALS="20000", ENTITIES="2000", REAL=REAL)
p = subprocess.run([os.path.join(REPO, "jobs", "us2023.sh")], capture_output=True, text=True, env=env, cwd=REPO)
check(p.returncode == 0, f"jobs/us2023.sh: {p.returncode} {p.stderr[-2000:]}")
report = os.path.join(W, "us2023", "report")
pngs = sorted(n for n in os.listdir(report) if n.endswith(".png")) if os.path.isdir(report) else []
check(len(pngs) == 7, f"worked example report has 7 figures: {pngs}")
check.finish()
