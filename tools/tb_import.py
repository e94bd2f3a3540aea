#!/usr/bin/python3
"""tradebal import: public BEA and Census files to tradebal input (docs/worked-example.md).

  tradebal import bea --direct IODirectRequirements.txt --make IOMakeSummary.txt [--use iousesummary.txt]
                      [--total IndbyIndTRSum.txt] [--codes IO-CodeSummary.txt] [--employment CSV] -o io.h5
  tradebal import bea --total IndbyIndTRSum.txt [--codes ...] [--employment CSV] -o io.h5
  tradebal import census country.csv|country.xlsx [--year 2023] [--partners 10] [--annual] -o trade.h5
  tradebal import assemble DEALS.h5 [--io io.h5] [--trade trade.h5] -o input.h5

`tradebal import --help` is the documented text. Exit codes follow tradebal's: 2 usage, 3 input,
4 output, 1 internal. Every output is written to a temporary file and renamed into place."""
import argparse
import csv
import os
import shutil
import sys

from tb_tool import fail, run

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover - an installation problem
    print(f"tradebal: error: import: {e} (apt-get install python3-h5py python3-numpy, or set TB_PYTHON)",
          file=sys.stderr)
    sys.exit(1)

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def rows_of(path, ncols, what):
    """Rows of a BEA 'code,code,table,value' text file, each with at least ncols fields."""
    try:
        with open(path, newline="") as fh:
            out = []
            for k, r in enumerate(csv.reader(fh)):
                if not r or not "".join(r).strip():
                    continue
                if len(r) < ncols:
                    fail(3, f"{path}: line {k + 1}: {len(r)} fields (rule: {what})")
                out.append([x.strip() for x in r])
            return out
    except OSError as e:
        fail(3, f"{path}: cannot read the file ({e.strerror})")


def number(path, k, v):
    try:
        x = float(v)
    except ValueError:
        fail(3, f"{path}: line {k + 1}: value '{v}' (rule: a number)")
    if not np.isfinite(x):
        fail(3, f"{path}: line {k + 1}: value '{v}' (rule: finite)")
    return x


def matrix(path, rows_codes, col_codes, table, col=3, tcol=2):
    """Dense [rows, cols] from 'row,col,table,value' lines; other codes are skipped."""
    ri = {c: i for i, c in enumerate(rows_codes)}
    ci = {c: i for i, c in enumerate(col_codes)}
    m = np.zeros((len(rows_codes), len(col_codes)))
    seen = 0
    for k, r in enumerate(rows_of(path, col + 1, "code,code,[year,]table,value")):
        if table is not None and r[tcol] != str(table):
            fail(3, f"{path}: line {k + 1}: table number {r[tcol]} (rule: BEA table {table})")
        if r[0] in ri and r[1] in ci:
            m[ri[r[0]], ci[r[1]]] += number(path, k, r[col])
            seen += 1
    if not seen:
        fail(3, f"{path}: no entry for the industry codes (rule: BEA table {table} of the same classification)")
    return m


def bea_codes(path):
    names = {}
    if path:
        for r in rows_of(path, 2, '"code","name"'):
            names[r[0]] = r[1]
    return names


def bea_from_direct(a):
    """A = W B (BEA's derivation): industries are the make table's rows."""
    make = rows_of(a.make, 4, "industry,commodity,3,value")
    inds = sorted({r[0] for r in make})
    V = matrix(a.make, inds, inds, 3)  # industry x commodity, scrap left out
    h = matrix(a.make, inds, ["S004"], 3)[:, 0]  # scrap made by each industry
    g = V.sum(axis=1) + h
    q = V.sum(axis=0)
    if (q <= 0).any() or (g <= 0).any():
        fail(3, f"{a.make}: an industry or commodity with no output (rule: positive totals)")
    D = V / q  # market shares: D[i, c] = share of commodity c made by industry i
    W = D / (1.0 - h / g)[:, None]
    B = matrix(a.direct, inds, inds, 5)  # commodity x industry
    A = W @ B
    va = matrix(a.direct, ["V001", "V002", "V003"], inds, 5).sum(axis=0)
    share = np.full(len(inds), 1.0 / len(inds))
    if a.use:
        imp = -matrix(a.use, inds, ["F050"], 4, col=4, tcol=3)[:, 0]  # commodity imports (negative in the use table)
        by_ind = D @ np.clip(imp, 0, None)
        if by_ind.sum() <= 0:
            fail(3, f"{a.use}: no imports in column F050 (rule: the use table's imports column)")
        share = by_ind / by_ind.sum()
    return inds, A, va, share


def bea_from_total(a, inds=None):
    lines = rows_of(a.total, 4, "industry,industry,8,coef")
    inds = inds or sorted({r[0] for r in lines})
    L = matrix(a.total, inds, inds, None)
    return inds, L


def cmd_bea(a):
    if not a.total and not (a.direct and a.make):
        fail(2, "bea: give --direct and --make, or --total")
    check = ""
    if a.direct:
        inds, A, va, share = bea_from_direct(a)
        if a.total:
            _, L = bea_from_total(a, inds)
            err = np.abs(np.linalg.inv(np.eye(len(inds)) - A) - L).max()
            check = f"; inv(I - A) vs the published total requirements: max |diff| {err:.2e}"
            if err > 1e-3:
                fail(3, f"{a.total}: differs from inv(I - A) by {err:.3g} (rule: the same year and "
                        "classification as --direct, BEA rounds to 7 decimals)")
    else:
        inds, L = bea_from_total(a)
        A = np.eye(len(inds)) - np.linalg.inv(L)
        small = (A < 0) & (A > -1e-5)  # rounding of the published 7 decimals
        if (A < -1e-5).any():
            fail(3, f"{a.total}: I - L^-1 has entries below -1e-5 (rule: a Leontief inverse of A >= 0)")
        A[small] = 0.0
        check = f"; A = I - L^-1, {int(small.sum())} rounding negatives set to 0"
        va = 1.0 - A.sum(axis=0)  # without the direct table: value added = 1 - intermediate inputs
        share = np.full(len(inds), 1.0 / len(inds))
    emp = np.zeros(len(inds))
    if a.employment:
        pos = {c: i for i, c in enumerate(inds)}
        for k, r in enumerate(rows_of(a.employment, 2, "code,jobs_per_million")):
            if r[0] in pos:
                emp[pos[r[0]]] = number(a.employment, k, r[1])
    if (A.sum(axis=0) >= 1).any() or (A < 0).any():
        fail(3, "bea: the derived A breaks /io/A's rule (A >= 0, every column sum < 1)")
    names = bea_codes(a.codes)

    def write(f):
        g = f.create_group("io")
        g.create_dataset("A", data=A)
        g.create_dataset("value_added", data=va)
        g.create_dataset("employment", data=emp)
        g.create_dataset("import_share", data=share)
        g.attrs["region"] = np.int32(0)
        g.attrs["sector_codes"] = [c.encode() for c in inds]
        g.attrs["sector_names"] = [names.get(c, c).encode() for c in inds]
        g.attrs["source"] = ", ".join(os.path.basename(p) for p in (a.direct, a.make, a.use, a.total) if p)
    commit(a, write)
    print(f"tradebal import bea: {a.out}: {len(inds)} sectors, largest column sum of A "
          f"{A.sum(axis=0).max():.6f}{check}")


def census_rows(path):
    if path.endswith(".xlsx"):
        try:
            import openpyxl
        except ImportError:
            fail(2, f"{path}: reading .xlsx needs python3-openpyxl; or save the sheet as CSV")
        ws = openpyxl.load_workbook(path, read_only=True).active
        it = ws.iter_rows(values_only=True)
        head = [str(h) for h in next(it)]
        return head, [list(r) for r in it]
    try:
        with open(path, newline="") as fh:
            r = csv.reader(fh)
            head = next(r)
            return head, list(r)
    except (OSError, StopIteration) as e:
        fail(3, f"{path}: cannot read the file ({e})")


def cmd_census(a):
    head, rows = census_rows(a.file)
    need = ["year", "CTY_CODE", "CTYNAME", "IYR", "EYR"] + ["I" + m for m in MONTHS] + ["E" + m for m in MONTHS]
    for n in need:
        if n not in head:
            fail(3, f"{a.file}: no column {n} (rule: the Census country.xlsx layout, docs/worked-example.md)")
    col = {n: head.index(n) for n in need}
    picked = []
    for k, r in enumerate(rows):
        try:
            year, code = int(float(r[col["year"]])), int(float(r[col["CTY_CODE"]]))
        except (TypeError, ValueError):
            fail(3, f"{a.file}: row {k + 2}: year or CTY_CODE not a number")
        if year != a.year or code < 1000:  # codes below 1000 are aggregates (World, EU, ...)
            continue
        months = ["I" + m for m in MONTHS] + ["E" + m for m in MONTHS] + ["IYR", "EYR"]
        v = [float(r[col[m]] or 0) for m in months]
        if min(v) < 0:
            fail(3, f"{a.file}: row {k + 2}: a negative trade value (rule: >= 0)")
        picked.append((r[col["CTYNAME"]], code, np.array(v[:12]), np.array(v[12:24]), v[24], v[25]))
    if not picked:
        fail(3, f"{a.file}: no country rows for year {a.year}")
    picked.sort(key=lambda p: (-(p[4] + p[5]), p[1]))
    top, rest = picked[:a.partners], picked[a.partners:]
    T = 1 if a.annual else 12

    def series(imp, exp, iyr, eyr):
        return (np.array([iyr]), np.array([eyr])) if a.annual else (imp, exp)
    R = len(top) + 2
    ex, im = np.zeros((R, T)), np.zeros((R, T))
    for p in picked:  # the United States: its exports to and imports from every country
        i, e = series(*p[2:])
        ex[0] += e
        im[0] += i
    for k, p in enumerate(top):  # a partner exports what the US imports from it, and the reverse
        i, e = series(*p[2:])
        ex[k + 1], im[k + 1] = i, e
    for p in rest:
        i, e = series(*p[2:])
        ex[R - 1] += i
        im[R - 1] += e
    names = ["United States"] + [p[0] for p in top] + ["Rest of world"]

    def write(f):
        g = f.create_group("trade")
        g.create_dataset("base_exports", data=ex)
        g.create_dataset("base_imports", data=im)
        g.attrs["region_names"] = [n.encode() for n in names]
        g.attrs["region_codes"] = np.array([-1] + [p[1] for p in top] + [-2], dtype=np.int64)
        g.attrs["home"] = np.int32(0)
        g.attrs["year"] = np.int32(a.year)
        g.attrs["periods"] = b"year" if a.annual else b"months"
        g.attrs["source"] = os.path.basename(a.file).encode()
    commit(a, write)
    print(f"tradebal import census: {a.out}: {R} regions ({', '.join(names[1:4])}, ...), {T} period(s) of {a.year}; "
          f"US exports {ex[0].sum():.1f}, imports {im[0].sum():.1f}, balance {ex[0].sum() - im[0].sum():.1f} "
          f"million USD")


def copy_group(src_path, name, dst):
    try:
        with h5py.File(src_path, "r") as s:
            if name not in s:
                fail(3, f"{src_path}: no /{name} group (rule: the output of tradebal import)")
            s.copy(s[name], dst, name=name)
    except OSError as e:
        fail(3, f"{src_path}: not an HDF5 file, or damaged ({e})")


def cmd_assemble(a):
    if not os.path.isfile(a.deals):
        fail(3, f"{a.deals}: cannot read the file")

    def write(f):
        with h5py.File(a.deals, "r") as d:
            for name in d:
                if (name == "io" and a.io) or (name == "trade" and a.trade):
                    continue
                d.copy(d[name], f, name=name)
            for k, v in d.attrs.items():
                f.attrs[k] = v
        if a.io:
            copy_group(a.io, "io", f)
        if a.trade:
            copy_group(a.trade, "trade", f)
            f["io"].attrs["region"] = np.int32(f["trade"].attrs.get("home", 0))
        R, T = f["trade/base_exports"].shape
        S = f["io/A"].shape[0]
        for ds, n, what in (("entities/region", R, "regions"), ("deals/export_region", R, "regions"),
                            ("deals/import_region", R, "regions"), ("deals/period", T, "periods"),
                            ("deals/sector", S, "sectors")):
            top = int(f[ds][()].max()) if f[ds].shape[0] else -1
            if top >= n:
                fail(3, f"{a.deals}: /{ds} reaches {top} but the tables have {n} {what} "
                        f"(rule: generate the deals with --regions {R} --periods {T} --sectors {S})")
        f.attrs["assembled_from"] = ", ".join(os.path.basename(p) for p in (a.deals, a.io, a.trade) if p)
    commit(a, write)
    print(f"tradebal import assemble: {a.out} (check it with tradebal validate {a.out})")


def commit(a, write):
    if os.path.exists(a.out) and not a.overwrite:
        fail(4, f"{a.out}: exists; pass --overwrite to replace it")
    tmp = f"{a.out}.tmp-{os.getpid()}"
    try:
        with h5py.File(tmp, "w") as f:
            write(f)
        os.replace(tmp, a.out)
    except OSError as e:
        fail(4, f"{a.out}: cannot write ({e})")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv):
    ap = argparse.ArgumentParser(prog="tradebal import", description="see tradebal import --help")
    sub = ap.add_subparsers(dest="what", required=True)
    b = sub.add_parser("bea")
    b.add_argument("--direct")
    b.add_argument("--make")
    b.add_argument("--use")
    b.add_argument("--total")
    b.add_argument("--codes")
    b.add_argument("--employment")
    c = sub.add_parser("census")
    c.add_argument("file")
    c.add_argument("--year", type=int, default=2023)
    c.add_argument("--partners", type=int, default=10)
    c.add_argument("--annual", action="store_true")
    s = sub.add_parser("assemble")
    s.add_argument("deals")
    s.add_argument("--io")
    s.add_argument("--trade")
    for p in (b, c, s):
        p.add_argument("-o", dest="out", required=True)
        p.add_argument("--overwrite", action="store_true")
        p.add_argument("-v", action="store_true")
    a = ap.parse_args(argv)
    if a.what == "census" and a.partners < 1:
        fail(2, f"--partners {a.partners}: expected at least 1")
    {"bea": cmd_bea, "census": cmd_census, "assemble": cmd_assemble}[a.what](a)
    return 0


if __name__ == "__main__":
    run("import", main)
