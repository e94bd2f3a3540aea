#!/usr/bin/python3
"""tradebal report: every figure is a PNG of the expected size that decodes, every number in the page
equals the element of the file it names (data-src) or an independent numpy recomputation (data-derived),
a missing group leaves its figure out with a note, and bad arguments get tradebal's exit codes.
Usage: test_report.py TRADEBAL WORKDIR"""
import html.parser
import math
import os
import re
import subprocess
import sys

import h5py
import matplotlib.image
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, W = sys.argv[1], os.path.abspath(sys.argv[2])
check = Checks()
os.makedirs(W, exist_ok=True)
os.chdir(W)
os.environ["OMP_NUM_THREADS"] = "1"
FIGURES = ["balance", "cert_price", "war", "tornado", "surplus", "opportunities", "network"]
WIDTH, HEIGHT = 900, 500


def run(*args):
    p = subprocess.run([TB, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def ok(rc, err, what):
    check(rc == 0, f"{what}: rc {rc}: {err}")


class Cells(html.parser.HTMLParser):
    """The <td data-v> cells (attributes and text), the tables' ids, the <img> sources and notes."""

    def __init__(self):
        super().__init__()
        self.cells, self.tables, self.imgs, self.notes, self.links = [], [], [], 0, []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-v" in a:
            self._cell = [a, ""]
        elif tag == "table":
            self.tables.append(a.get("id"))
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "p" and a.get("class") == "missing":
            self.notes += 1
        for k, v in attrs:
            if k in ("src", "href") and v and ("://" in v or v.startswith("//")):
                self.links.append(v)
        if tag in ("script", "link", "iframe"):
            self.links.append(tag)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append(tuple(self._cell))
            self._cell = None


def parse(folder):
    c = Cells()
    with open(os.path.join(folder, "index.html")) as fh:
        c.feed(fh.read())
    return c


def png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def element(files, src):
    m = re.fullmatch(r"(/[^\[]+)\[([0-9,]+)\]", src)
    idx = tuple(int(x) for x in m.group(2).split(","))
    for f in files:
        if m.group(1) in f:
            return float(f[m.group(1)][idx])
    raise KeyError(src)


def derived(files, how):
    """Recompute a surplus statistic independently of the report script."""
    m = re.fullmatch(r"(\w+) over /deals/surplus where /deals/status == (\d)", how)
    s = files[0]["/deals/surplus"][()]
    x = s[files[0]["/deals/status"][()] == int(m.group(2))]
    if not x.size:
        return 0.0 if m.group(1) in ("count", "sum") else math.nan
    xs = np.sort(x)
    q = lambda p: xs[0] + 0.0 if xs.size == 1 else np.interp(p * (xs.size - 1), np.arange(xs.size), xs)
    return {"count": float(x.size), "sum": math.fsum(x), "mean": math.fsum(x) / x.size, "median": q(0.5),
            "q05": q(0.05), "q95": q(0.95)}[m.group(1)]


def check_numbers(folder, paths):
    c = parse(folder)
    files = [h5py.File(p, "r") for p in paths]
    nsrc = nder = 0
    for attrs, text in c.cells:
        v = float(attrs["data-v"])
        text = text.strip()
        shown = float(text) if text not in ("NaN", "inf", "-inf") else float(text.replace("NaN", "nan"))
        check(same(shown, v) or abs(shown - v) <= 5e-6 * abs(v), f"{folder}: cell shows {text} for {v}")
        if "data-src" in attrs:
            want = element(files, attrs["data-src"])
            check(same(v, want), f"{folder}: {attrs['data-src']} is {want} in the file, {v} in the page")
            nsrc += 1
        else:
            want = derived(files, attrs["data-derived"])
            check(same(v, want) or abs(v - want) <= 1e-9 * max(1.0, abs(want)),
                  f"{folder}: {attrs['data-derived']}: page {v}, numpy {want}")
            nder += 1
    check(not c.links, f"{folder}: the page is self-contained (no external links or scripts): {c.links}")
    for img in c.imgs:
        check(os.path.isfile(os.path.join(folder, img["src"])), f"{folder}: {img['src']} exists")
    return c, nsrc, nder


def check_figures(folder, names):
    for n in names:
        path = os.path.join(folder, n + ".png")
        check(png_size(path) == (WIDTH, HEIGHT), f"{path}: PNG of {WIDTH}x{HEIGHT}, got {png_size(path)}")
        img = matplotlib.image.imread(path)  # decodes every row: a truncated file fails here
        check(img.shape[:2] == (HEIGHT, WIDTH) and img.std() > 0.01, f"{path}: decodes to a drawn {WIDTH}x{HEIGHT} image")


# --- a run with a certificate policy and draws, and an lhs sweep
rc, _, err = run("generate", "-o", "in.h5", "--entities", "2000", "--deals", "20000", "--regions", "5",
                 "--periods", "4", "--sectors", "6", "--seed", "3", "--overwrite")
ok(rc, err, "generate")
with open("run.ini", "w") as fh:
    fh.write("[input]\nfile = in.h5\n[funding]\nbudget = 500\n[assessment]\ndraws = 8\nseed = 5\n"
             "[policy.tariff10]\nkind = tariff\nrate = 0.1\n"
             "[policy.certs]\nkind = certificates\nratio = 0.9\nexpiry = 2\nfloor = 0.01\n")
rc, _, err = run("run", "-c", "run.ini", "-o", "out.h5", "--overwrite")
ok(rc, err, "run")
rc, _, err = run("run", "-c", "run.ini", "-o", "sweep.h5", "--overwrite", "--set", "sweep.method=lhs",
                 "--set", "sweep.samples=8", "--set", "assessment.draws=0", "--set", "sweep.market.elasticity=0.5:3",
                 "--set", "sweep.policy.tariff10.rate=0:0.3")
ok(rc, err, "sweep")

# --- both files: every figure and table
rc, out, err = run("report", "out.h5", "sweep.h5", "-o", "full", "--overwrite", "--top", "10")
ok(rc, err, "report of a run and a sweep")
check_figures("full", FIGURES)
c, nsrc, nder = check_numbers("full", ["out.h5", "sweep.h5"])
for t in ("balance", "cert_price", "metrics", "deltas", "sensitivity", "surplus", "opportunities", "sector_index",
          "multiplier", "influence"):
    check(t in c.tables, f"table {t} in the page")
with h5py.File("out.h5", "r") as f:
    Q, T = f["/policies/names"].shape[0], f["/regions/balance"].shape[1]
    O, S = min(10, f["/opportunities/deal"].shape[0]), f["/io/multipliers"].shape[0]
check(c.notes == 0, f"no figure left out with both files: {c.notes} notes")
check(nder == 18, f"surplus table: 3 statuses x 6 statistics derived, got {nder}")
# balance, cert_price (one certificate policy), metrics, deltas, sensitivity, opportunities, sector index,
# multiplier, influence
want = Q * T + T + Q * 15 + Q * 8 + 2 * 10 + 3 * O + S + Q + 3 * 10
check(nsrc == want, f"data-src cells: {nsrc}, expected {want}")
# the tornado rows are the largest |SRC| in the file, in order
with h5py.File("sweep.h5", "r") as f:
    src = f["/sensitivity/src"][()]
top = np.sort(np.abs(src[np.isfinite(src)]))[::-1][:10]
shown = [abs(float(a["data-v"])) for a, _ in c.cells if a.get("data-src", "").startswith("/sensitivity/src[")]
check(np.array_equal(np.array(shown), top), f"tornado: the 10 largest |SRC| in order: {shown} vs {top}")
# the influence rows are the most influential entities
with h5py.File("out.h5", "r") as f:
    infl = f["/entities/influence"][()]
shown = [float(a["data-v"]) for a, _ in c.cells if a.get("data-src", "").startswith("/entities/influence[")]
check(shown == sorted(infl, reverse=True)[:10], "influence: the 10 largest in order")

# --- one file: the sweep's figure is left out with a note, the rest is drawn
rc, out, err = run("report", "out.h5", "-o", "runonly", "--overwrite")
ok(rc, err, "report of a run alone")
c, _, _ = check_numbers("runonly", ["out.h5"])
check(c.notes == 1 and not os.path.exists("runonly/tornado.png"), "run alone: one note, no tornado.png")
check_figures("runonly", [f for f in FIGURES if f != "tornado"])
rc, out, err = run("report", "sweep.h5", "-o", "sweeponly", "--overwrite")
ok(rc, err, "report of a sweep alone")
c, _, _ = check_numbers("sweeponly", ["sweep.h5"])
check(c.notes == 6 and sorted(os.listdir("sweeponly")) == ["index.html", "tornado.png"],
      f"sweep alone: six notes, only tornado.png: {c.notes} {sorted(os.listdir('sweeponly'))}")

# --- errors: exit codes, one line, nothing left behind
before = sorted(os.listdir("."))
rc, _, err = run("report", "absent.h5", "-o", "r1")
check(rc == 3 and "absent.h5" in err and err.count("\n") == 0 and not os.path.exists("r1"), f"missing input: {rc} {err}")
rc, _, err = run("report", "in.h5", "-o", "r2")
check(rc == 3 and "in.h5" in err and "software" in err and not os.path.exists("r2"), f"not an output: {rc} {err}")
with open("junk.h5", "w") as fh:
    fh.write("not hdf5")
rc, _, err = run("report", "junk.h5", "-o", "r3")
check(rc == 3 and "junk.h5" in err and not os.path.exists("r3"), f"not HDF5: {rc} {err}")
mtime = os.path.getmtime("full/index.html")
rc, _, err = run("report", "out.h5", "-o", "full")
check(rc == 4 and "--overwrite" in err and os.path.getmtime("full/index.html") == mtime, f"existing DIR kept: {rc} {err}")
rc, _, err = run("report", "out.h5")
check(rc == 2, f"no -o: {rc} {err}")
rc, _, err = run("report", "out.h5", "-o", "r4", "--top", "0")
check(rc == 2 and not os.path.exists("r4"), f"--top 0: {rc} {err}")
rc, _, err = run("report", "out.h5", "-o", "/nonexistent-dir/r5")
check(rc == 4 and "/nonexistent-dir/r5" in err, f"unwritable folder: {rc} {err}")
left = [n for n in os.listdir(".") if ".tmp-" in n or ".old-" in n]
check(not left, f"no temporary folder left: {left}")
check.finish()
