#!/usr/bin/python3
"""tradebal report: figures and tables of tradebal outputs as one static HTML page.

Usage: tradebal report OUT.h5 [MORE.h5...] -o DIR [--overwrite] [--top K]
(or tools/tb_report.py with the same arguments; `tradebal report --help` is the documented text).

Every number in the page's tables is a <td> with data-v (the value, full precision) and either
data-src ("/dataset[i,j]": the element of the file it is) or data-derived (how it was computed), so
tests can check the page against the file. Exit codes follow tradebal's: 2 usage, 3 input, 4 output,
1 internal (python3-matplotlib or python3-h5py missing)."""
import argparse
import configparser
import html
import math
import os
import shutil
import sys

from tb_tool import fail, run

FIG_W, FIG_H, DPI = 9.0, 5.0, 100  # every figure is 900 x 500 pixels
STATUS = ["WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"]


try:
    import h5py
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover - an installation problem
    print(f"tradebal: error: report: {e} (apt-get install python3-matplotlib python3-h5py, or set TB_PYTHON)",
          file=sys.stderr)
    sys.exit(1)


def fmt(v):
    """Display form of a number: 6 significant digits, integers in full."""
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def td_src(v, src):
    return f'<td data-v="{float(v)!r}" data-src="{html.escape(src)}">{fmt(v)}</td>'


def td_derived(v, how):
    return f'<td data-v="{float(v)!r}" data-derived="{html.escape(how)}">{fmt(v)}</td>'


def td_text(s):
    return f"<td>{html.escape(str(s))}</td>"


def table(tid, header, rows):
    h = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return f'<table id="{tid}"><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>'


class Inputs:
    """The groups of one or more tradebal output files (a run's and a sweep's), first file wins."""

    def __init__(self, paths):
        self.files = []
        for p in paths:
            if not os.path.isfile(p):
                fail(3, f"{p}: cannot read the file (missing or not a file)")
            try:
                f = h5py.File(p, "r")
            except OSError as e:
                fail(3, f"{p}: not an HDF5 file, or damaged ({e})")
            sw = f.attrs.get("software", b"")
            sw = sw.decode() if isinstance(sw, bytes) else str(sw)
            if sw != "tradebal":
                fail(3, f"{p}: /@software is '{sw}' (rule: a tradebal run, sweep or match output)")
            self.files.append((p, f))

    def find(self, name):
        for p, f in self.files:
            if name in f:
                return p, f[name]
        return None, None

    def attr(self, obj, name, default=None):
        for _, f in self.files:
            if obj in f and name in f[obj].attrs:
                v = f[obj].attrs[name]
                return v.decode() if isinstance(v, bytes) else v
        return default

    def names(self):
        _, d = self.find("/policies/names")
        return [n.decode() for n in d[()]] if d is not None else []

    def run_file(self):
        for p, f in self.files:
            if "/policies/metrics" in f:
                return p, f
        return None, None


def columns(ds, attr="columns"):
    return [c.decode() if isinstance(c, bytes) else str(c) for c in ds.attrs[attr]]


def new_figure(ncols=1):
    fig, axes = plt.subplots(1, ncols, figsize=(FIG_W, FIG_H), dpi=DPI)
    return fig, axes


def save(fig, out, name):
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=DPI)  # no bbox_inches: the size stays FIG_W x FIG_H
    plt.close(fig)
    return f'<img src="{name}" width="{int(FIG_W * DPI)}" height="{int(FIG_H * DPI)}" alt="{name}">'


def missing(what, why):
    return f'<p class="missing">Left out: {html.escape(what)}. {html.escape(why)}</p>'


def policy_kinds(inp):
    text = inp.attr("/", "config", "")
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error:
        return {}
    return {s[7:]: cp[s].get("kind", "none") for s in cp.sections() if s.startswith("policy.")}


def home_region(inp):
    h = inp.attr("/regions", "home")
    return (int(h), "") if h is not None else (0, " The file does not record the home region; region 0 is shown.")


# ---- sections: each returns HTML (figure + tables, or a note) ----

def section_balance(inp, out):
    names = inp.names()
    _, f = inp.run_file()
    if f is None or not names or f"/policies/{names[0]}/regions/balance" not in f:
        return missing("home trade balance per period", "The files hold no /policies/<policy>/regions group "
                       "(a run's output has it).")
    h, note = home_region(inp)
    T = f[f"/policies/{names[0]}/regions/balance"].shape[1]
    fig, ax = new_figure()
    rows = []
    for p in names:
        src = f"/policies/{p}/regions/balance"
        b = f[src][h, :]
        ax.plot(range(T), b, marker="o", label=p)
        rows.append([td_text(p)] + [td_src(b[t], f"{src}[{h},{t}]") for t in range(T)])
    ax.set_xlabel("period")
    ax.set_ylabel("trade balance (million USD)")
    ax.set_title(f"Home region {h}: exports - imports per period")
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend()
    img = save(fig, out, "balance.png")
    tab = table("balance", ["policy"] + [f"t={t}" for t in range(T)], rows)
    return f"<p>Home region {h}.{html.escape(note)}</p>{img}{tab}"


def section_cert_price(inp, out):
    names = inp.names()
    _, f = inp.run_file()
    if f is None or not names:
        return missing("certificate price path", "The files hold no policy results (a run's output has them).")
    kinds = policy_kinds(inp)
    certs = [p for p in names if kinds.get(p) == "certificates" and f"/policies/{p}/regions/cert_price" in f]
    if not certs:
        return missing("certificate price path", "The run has no certificate policy.")
    h, _ = home_region(inp)
    fig, ax = new_figure()
    rows, prices = [], {p: f[f"/policies/{p}/regions/cert_price"][h, :] for p in certs}
    finite = np.concatenate([c[np.isfinite(c)] for c in prices.values()])
    top = finite.max() * 1.1 if finite.size and finite.max() > 0 else 1.0
    for p, c in prices.items():
        src = f"/policies/{p}/regions/cert_price"
        line = ax.step(range(len(c)), np.where(np.isfinite(c), c, np.nan), where="mid", marker="o", label=p)[0]
        inf = np.nonzero(np.isposinf(c))[0]  # no supply met positive demand: nothing can be bought
        if inf.size:
            ax.plot(inf, np.full(inf.size, top), "^", color=line.get_color(), label=f"{p}: +inf (no certificates)")
        rows.append([td_text(p)] + [td_src(c[t], f"{src}[{h},{t}]") for t in range(len(c))])
    ax.set_ylim(0, top * 1.05)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("period")
    ax.set_ylabel("certificate price P* (premium per unit of imports)")
    ax.set_title(f"Certificate price path, home region {h}")
    ax.legend()
    img = save(fig, out, "cert_price.png")
    return img + table("cert_price", ["policy"] + [f"t={t}" for t in range(len(rows[0]) - 1)], rows)


def section_war(inp, out):
    _, f = inp.run_file()
    if f is None:
        return missing("WAR per policy", "The files hold no /policies/metrics (a run's output has it).")
    names = [n.decode() for n in f["/policies/names"][()]]
    ds = f["/policies/metrics"]
    cols = columns(ds)
    m = ds[()]
    w, lo, hi = (m[:, cols.index(c)] for c in ("WAR", "q05", "q95"))
    fig, ax = new_figure()
    x = np.arange(len(names))
    ax.bar(x, w, color=["#888" if n == "none" else "#3a7" for n in names])
    ax.errorbar(x, w, yerr=[w - lo, hi - w], fmt="none", ecolor="black", capsize=6, label="5%-95% of Z / sigma_rep")
    ax.set_xticks(x, names)
    ax.set_ylabel("WAR (wins above replacement, in sigma_rep)")
    draws = int(inp.attr("/policies", "draws", 0))
    ax.set_title(f"WAR per policy ({draws} Monte Carlo draws; `none` is the replacement level)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend()
    img = save(fig, out, "war.png")
    rows = [[td_text(n)] + [td_src(m[i, j], f"/policies/metrics[{i},{j}]") for j in range(len(cols))]
            for i, n in enumerate(names)]
    note = "" if draws else "<p>No Monte Carlo draws (assessment.draws = 0): the band is the deterministic run.</p>"
    rec = inp.attr("/policies", "recommended", "?")
    return (f"<p>Recommended policy (largest WAR_B): <b>{html.escape(rec)}</b>.</p>{note}{img}"
            + table("metrics", ["policy"] + cols, rows) + deltas_table(f, names))


def deltas_table(f, names):
    if "/policies/deltas" not in f:
        return ""
    ds = f["/policies/deltas"]
    cols = columns(ds)
    d = ds[()]
    rows = [[td_text(n)] + [td_src(d[i, j], f"/policies/deltas[{i},{j}]") for j in range(len(cols))]
            for i, n in enumerate(names)]
    return "<h3>Change against <code>none</code></h3>" + table("deltas", ["policy"] + cols, rows)


def section_tornado(inp, out, top):
    p, ds = inp.find("/sensitivity/src")
    if ds is None:
        return missing("tornado chart of the largest sensitivities", "The files hold no /sensitivity group: "
                       "give a sweep's output (a run with a [sweep] section) as a further file.")
    pars, mets = columns(ds, "parameters"), columns(ds, "metrics")
    src = ds[()]
    _, sp = inp.find("/sensitivity/spearman")
    rho = sp[()] if sp is not None else np.full_like(src, np.nan)
    flat = [(abs(src[i, j]), i, j) for i in range(len(pars)) for j in range(len(mets)) if np.isfinite(src[i, j])]
    flat.sort(key=lambda t: (-t[0], t[1], t[2]))
    pick = flat[:top]
    if not pick:
        return missing("tornado chart", "Every standardised regression coefficient is NaN (no metric varied).")
    fig, ax = new_figure()
    labels = [f"{pars[i]} -> {mets[j]}" for _, i, j in pick][::-1]
    vals = [src[i, j] for _, i, j in pick][::-1]
    ax.barh(range(len(vals)), vals, color=["#c44" if v < 0 else "#37a" for v in vals])
    ax.set_yticks(range(len(vals)), labels, fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("standardised regression coefficient (SRC)")
    ax.set_title(f"Largest sensitivities ({int(inp.attr('/scenarios', 'scenarios', 0))} scenarios, "
                 f"{inp.attr('/scenarios', 'method', '?')})")
    img = save(fig, out, "tornado.png")
    rows = [[td_text(pars[i]), td_text(mets[j]), td_src(src[i, j], f"/sensitivity/src[{i},{j}]"),
             td_src(rho[i, j], f"/sensitivity/spearman[{i},{j}]") if sp is not None else td_text("-")]
            for _, i, j in pick]
    return img + table("sensitivity", ["parameter", "metric", "SRC", "Spearman"], rows)


def section_surplus(inp, out):
    _, st = inp.find("/deals/status")
    _, su = inp.find("/deals/surplus")
    if st is None or su is None:
        return missing("deal surplus by status", "The files hold no /deals group (a run's output has it).")
    status, surplus = st[()], su[()]
    fig, ax = new_figure()
    scaled = np.arcsinh(surplus)  # once: the limits and every status's histogram use it
    lo, hi = (scaled.min(), scaled.max()) if scaled.size else (0.0, 1.0)
    bins = np.linspace(lo, hi if hi > lo else lo + 1, 80)
    rows = []
    for s, name in enumerate(STATUS):
        x = surplus[status == s]
        if x.size:
            ax.hist(scaled[status == s], bins=bins, histtype="step", lw=1.5, label=f"{name} ({x.size})")
        how = f"over /deals/surplus where /deals/status == {s}"
        stats = [x.size, x.sum(), x.mean(), np.median(x), np.quantile(x, 0.05), np.quantile(x, 0.95)] \
            if x.size else [0, 0.0, math.nan, math.nan, math.nan, math.nan]
        kinds = ["count", "sum", "mean", "median", "q05", "q95"]
        rows.append([td_text(name)] + [td_derived(v, f"{k} {how}") for k, v in zip(kinds, stats)])
    ticks = np.array([-1e8, -1e6, -1e4, -100, -1, 0, 1, 100, 1e4, 1e6, 1e8])
    if surplus.size:  # the extremes too, so a narrow range (e.g. -10..-3) still has labels
        inside = ticks[(ticks > surplus.min()) & (ticks < surplus.max())]
        ends = [surplus.min(), surplus.max()]
        far = [t for t in inside if min(abs(np.arcsinh(t) - np.arcsinh(e)) for e in ends) > 0.05 * (hi - lo)]
        ticks = np.unique(np.concatenate([far, ends]))
    else:
        ticks = ticks[:0]
    ax.set_xticks(np.arcsinh(ticks), [fmt(t) for t in ticks])
    ax.set_xlabel("deal surplus S_d (million USD, asinh scale)")
    ax.set_ylabel("deals")
    ax.set_yscale("log")
    ax.set_title("Distribution of deal surplus by status")
    ax.legend()
    img = save(fig, out, "surplus.png")
    return img + table("surplus", ["status", "deals", "sum", "mean", "median", "5%", "95%"], rows)


def section_opportunities(inp, out, top):
    _, deal = inp.find("/opportunities/deal")
    _, ratio = inp.find("/opportunities/ratio")
    _, funded = inp.find("/opportunities/funded")
    _, index = inp.find("/opportunities/sector_index")
    if deal is None or index is None:
        return missing("opportunities", "The files hold no /opportunities group (a run's output has it).")
    nopp = inp.attr("/opportunities", "opportunities", "?")
    if deal.shape[0] == 0:
        return no_opportunity(nopp, index[()])
    n = min(top, deal.shape[0])
    d, r, fu, si = deal[:n], ratio[:n], funded[:n], index[()]
    fig, (a1, a2) = new_figure(2)
    if n:
        a1.barh(range(n)[::-1], r, color=["#3a7" if x else "#bbb" for x in fu])
        a1.set_yticks(range(n)[::-1], [str(x) for x in d], fontsize=7)
    a1.set_xlabel("u^B (conservative value ratio)")
    a1.set_title(f"Top {n} undervalued opportunities (green: funded)")
    ok = np.isfinite(si)
    a2.bar(np.arange(si.size)[ok], si[ok], color="#37a")
    a2.axhline(1, color="black", lw=0.8)
    a2.set_xlabel("sector")
    a2.set_ylabel("sector opportunity index")
    a2.set_title("Sector opportunity index (1 = average)")
    img = save(fig, out, "opportunities.png")
    rows = [[td_text(k + 1), td_src(d[k], f"/opportunities/deal[{k}]"), td_src(r[k], f"/opportunities/ratio[{k}]"),
             td_src(fu[k], f"/opportunities/funded[{k}]")] for k in range(n)]
    nf = inp.attr("/opportunities", "funded_count", "?")
    return (f"<p>{deal.shape[0]} undervalued of {nopp} opportunities; {nf} funded.</p>{img}"
            + table("opportunities", ["rank", "deal", "u^B", "funded"], rows) + sector_table(si))


def sector_table(si):
    srows = [[td_text(s), td_src(si[s], f"/opportunities/sector_index[{s}]")] for s in range(si.size)]
    return "<h3>Sector opportunity index</h3>" + table("sector_index", ["sector", "index"], srows)


def no_opportunity(nopp, si):
    """O = 0 (MODEL.md section 4 allows it): a sentence instead of an empty figure."""
    why = ("no deal has a preparation cost (every /deals/cost is 0), so there is nothing to fund"
           if str(nopp) == "0" else
           f"of {nopp} deals with a preparation cost, none is win-win or repairable with a conservative "
           "value ratio u^B of at least funding.theta, so nothing is ranked or funded")
    text = f'<p class="empty">No undervalued opportunity: {html.escape(why)}.</p>'
    return text + sector_table(si) if np.isfinite(si).any() else text


def section_network(inp, out, top):
    _, infl = inp.find("/entities/influence")
    _, f = inp.run_file()
    if infl is None or f is None:
        return missing("network multiplier and influential entities",
                       "The files hold no /entities group (a run's output has it).")
    names = [n.decode() for n in f["/policies/names"][()]]
    cols = columns(f["/policies/metrics"])
    j = cols.index("network_multiplier")
    mult = f["/policies/metrics"][:, j]
    I = infl[()]
    order = np.argsort(-I, kind="stable")[:top]
    fig, (a1, a2) = new_figure(2)
    fin = np.isfinite(mult)  # NaN: no deal trades under that policy, so sum(b) = 0 (docs/model.md)
    a1.bar(np.arange(len(names))[fin], mult[fin], color="#37a")
    for i in np.nonzero(~fin)[0]:
        a1.text(i, 1.0, "n/a\n(nothing\ntrades)", ha="center", va="center", fontsize=8)
    a1.set_xticks(range(len(names)), names)
    lo, hi = (min(1.0, mult[fin].min()), max(1.0, mult[fin].max())) if fin.any() else (1.0, 1.0)
    a1.set_ylim(lo * 0.95, hi * 1.05)
    a1.set_ylabel("network multiplier sum(x) / sum(b)")
    a1.set_title("Network multiplier per policy")
    a2.barh(range(len(order))[::-1], I[order], color="#a73")
    a2.set_yticks(range(len(order))[::-1], [str(e) for e in order], fontsize=7)
    a2.set_xlabel("influence I_i")
    a2.set_title(f"Top {len(order)} influential entities")
    img = save(fig, out, "network.png")
    cen = f["/entities/centrality"]
    nv = f["/entities/network_value"]
    rows = [[td_text(k + 1), td_text(e), td_src(I[e], f"/entities/influence[{e}]"),
             td_src(cen[e], f"/entities/centrality[{e}]"), td_src(nv[e], f"/entities/network_value[{e}]")]
            for k, e in enumerate(order)]
    mrows = [[td_text(n), td_src(mult[i], f"/policies/metrics[{i},{j}]")] for i, n in enumerate(names)]
    return (img + table("multiplier", ["policy", "network multiplier"], mrows)
            + table("influence", ["rank", "entity", "influence", "centrality", "network value"], rows))


CSS = """body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}
td[data-v]{text-align:right;font-family:monospace}.missing{background:#fff3cd;padding:0.5em}.empty{background:#eef;padding:0.5em}
code{background:#eee}"""


def provenance(inp):
    rows = []
    for p, f in inp.files:
        a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items() if k != "config"}
        rows.append([td_text(p), td_text(a.get("version", "?")), td_text(a.get("created", "?")),
                     td_text(a.get("backend", "?")), td_text(a.get("ranks", "?")),
                     td_text(str(a.get("input_sha256", "?"))[:16])])
    return table("files", ["file", "version", "created", "backend", "ranks", "input sha256"], rows)


def build(inp, out, top):
    parts = [("Files", provenance(inp)),
             ("Home trade balance per period", section_balance(inp, out)),
             ("Certificate price path", section_cert_price(inp, out)),
             ("Policy scores: WAR with its 5-95% band", section_war(inp, out)),
             ("Largest sensitivities", section_tornado(inp, out, top)),
             ("Deal surplus by status", section_surplus(inp, out)),
             ("Undervalued opportunities", section_opportunities(inp, out, top)),
             ("Network spillovers", section_network(inp, out, top))]
    body = "".join(f"<h2>{html.escape(t)}</h2>{h}" for t, h in parts)
    cfg = inp.attr("/", "config", "")
    cfg_html = f"<h2>Configuration</h2><pre>{html.escape(cfg)}</pre>" if cfg else ""
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>tradebal report</title>"
            f"<style>{CSS}</style></head><body><h1>tradebal report</h1>{body}{cfg_html}</body></html>\n")
    with open(os.path.join(out, "index.html"), "w") as fh:
        fh.write(page)


def main(argv):
    ap = argparse.ArgumentParser(prog="tradebal report", description="see tradebal report --help")
    ap.add_argument("files", nargs="+")
    ap.add_argument("-o", dest="out", required=True)
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args(argv)
    if a.top < 1:
        fail(2, f"--top {a.top}: expected at least 1")
    out = a.out.rstrip("/") or a.out
    if os.path.exists(out) and not a.overwrite:
        fail(4, f"{out}: exists; pass --overwrite to replace it")
    inp = Inputs(a.files)
    tmp = f"{out}.tmp-{os.getpid()}"
    try:
        os.mkdir(tmp)  # the parent must exist, as for every tradebal output
    except OSError as e:
        fail(4, f"{tmp}: cannot create the folder ({e.strerror})")
    try:
        build(inp, tmp, a.top)
        if os.path.exists(out):
            old = f"{out}.old-{os.getpid()}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old) if os.path.isdir(old) else os.remove(old)
        else:
            os.rename(tmp, out)
    except OSError as e:
        fail(4, f"{out}: writing the report failed ({e})")
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"tradebal report: {out}/index.html and {len([n for n in os.listdir(out) if n.endswith('.png')])} figures")
    return 0


if __name__ == "__main__":
    run("report", main, (KeyError, ValueError, IndexError))
