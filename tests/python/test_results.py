"""tradebal.open (python/tradebal/results.py): every view of a real run and sweep output against raw h5py reads
and against facts that hold independently of the reader (outcome counts add to the deals, balance = exports -
imports, the input's SHA-256, Spearman correlations recomputed from the scenarios); chunked iteration equal to
the whole; errors naming the file; and a 10^7-deal file iterated with its peak memory measured and bounded."""
import configparser
import hashlib
import os
import re
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pandas as pd
import pytest

import tradebal
from tradebal import results

TB = os.environ.get("TRADEBAL_EXE", "")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
M, POLICIES = 2000, ["none", "tariff10", "certificates"]


def tb(*args, cwd):
    p = subprocess.run([TB, *args], capture_output=True, text=True, cwd=cwd,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert p.returncode == 0, f"tradebal {' '.join(args)}: exit {p.returncode}: {p.stderr}"
    return p.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    if not os.path.isfile(TB):
        pytest.fail(f"TRADEBAL_EXE={TB!r} is not the tradebal program")
    base = os.environ.get("TB_WORK")
    w = os.path.join(base, "results") if base else str(tmp_path_factory.mktemp("results"))
    os.makedirs(w, exist_ok=True)
    inp = os.path.join(w, "in.h5")
    tb("generate", "-o", inp, "--entities", "300", "--deals", str(M), "--regions", "4", "--periods", "3",
       "--sectors", "5", "--seed", "1", "--overwrite", cwd=w)
    common = ["--set", f"input.file={inp}", "--overwrite"]
    tb("run", "-c", f"{REPO}/configs/example.ini", *common, "-o", "out.h5", cwd=w)
    tb("run", "-c", f"{REPO}/configs/example.ini", *common, "--set", "funding.theta=1e12", "-o", "noopp.h5", cwd=w)
    tb("run", "-c", f"{REPO}/configs/sweep.ini", *common, "--set", "sweep.samples=4", "-o", "sweep.h5", cwd=w)
    tb("run", "-c", f"{REPO}/configs/example.ini", *common, "--set", "sweep.method=oat",
       "--set", "sweep.market.elasticity=1:2", "-o", "oat.h5", cwd=w)
    return w


@pytest.fixture
def out(work):
    with tradebal.open(os.path.join(work, "out.h5")) as r, h5py.File(os.path.join(work, "out.h5"), "r") as raw:
        yield r, raw


def names(v):
    return [x.decode() for x in v]


def test_metrics_and_deltas(out):
    r, raw = out
    m, d = r.metrics, r.deltas
    assert list(m.index) == POLICIES == names(raw["/policies/names"][()]) == r.policies
    assert list(m.columns) == names(raw["/policies/metrics"].attrs["columns"])
    assert list(m.columns[:4]) == ["GDP", "Jobs", "Balance", "Surplus"] and "WAR_B" in m.columns
    np.testing.assert_array_equal(m.to_numpy(), raw["/policies/metrics"][()])
    np.testing.assert_array_equal(d.to_numpy(), raw["/policies/deltas"][()])
    # every deal ends traded, blocked, unfunded or not win-win, under each policy
    np.testing.assert_array_equal(m[["traded", "blocked", "unfunded", "not_win_win"]].sum(axis=1), [M] * 3)
    # deltas are the first columns minus those of `none`
    np.testing.assert_allclose(d, m[d.columns] - m.loc["none", d.columns], rtol=0, atol=1e-6)
    assert r.recommended == raw["/policies"].attrs["recommended"].decode() == m["WAR_B"].idxmax()
    dl = r.draw_levels
    assert dl.shape == (8, 3) and list(dl.columns) == POLICIES
    np.testing.assert_array_equal(dl.to_numpy(), raw["/policies/draw_levels"][()])


def test_regions(out):
    r, raw = out
    rec = r.regions()
    assert rec.attrs["policy"] == r.recommended and rec.attrs["home"] == 0
    assert dict(rec.sizes) == {"region": 4, "period": 3}
    assert {"exports", "imports", "balance", "cert_price", "cert_issued"} <= set(rec.data_vars)
    for v in rec.data_vars:
        np.testing.assert_array_equal(rec[v].values, raw[f"/regions/{v}"][()])
    every = r.regions_all()
    assert list(every.policy.values) == POLICIES and every["balance"].dims == ("policy", "region", "period")
    for p in POLICIES:
        one = r.regions(p)
        np.testing.assert_allclose(one.balance, one.exports - one.imports, rtol=1e-12, atol=1e-6)
        np.testing.assert_array_equal(one.exports.values, raw[f"/policies/{p}/regions/exports"][()])
        np.testing.assert_array_equal(every.sel(policy=p).imports.values, one.imports.values)
    # /regions is the recommended policy's copy
    np.testing.assert_array_equal(rec.balance.values, r.regions(r.recommended).balance.values)
    with pytest.raises(tradebal.InputError, match="/policies/nosuch/regions.*tariff10"):
        r.regions("nosuch")


def test_opportunities(out, work):
    r, raw = out
    o = r.opportunities
    assert list(o.columns) == ["deal", "ratio", "funded"] and o.index.name == "rank" and len(o) > 0
    np.testing.assert_array_equal(o.deal, raw["/opportunities/deal"][()])
    np.testing.assert_array_equal(o.ratio, raw["/opportunities/ratio"][()])
    assert (np.diff(o.ratio.to_numpy()) <= 0).all(), "ranked by u^B descending"
    assert o.funded.dtype == bool and o.funded.sum() == o.attrs["funded_count"] == raw["/opportunities"].attrs["funded_count"]
    assert o.deal.between(0, M - 1).all() and o.deal.is_unique
    theta = float(r.config["funding"]["theta"])
    assert (o.ratio >= theta).all(), "undervalued means u^B >= theta"
    # every funded opportunity is a funded deal
    funded = pd.concat(r.deals(columns=["funded"])).funded
    assert funded.loc[o.deal[o.funded]].all()
    assert len(r.sector_index) == 5 and len(r.multipliers) == 5
    with tradebal.open(os.path.join(work, "noopp.h5")) as none:
        e = none.opportunities
        assert len(e) == 0 and list(e.columns) == ["deal", "ratio", "funded"] and e.attrs["funded_count"] == 0
        assert e.dtypes.to_dict() == o.dtypes.to_dict()


def test_entities(out):
    r, raw = out
    e = r.entities
    assert list(e.columns) == ["direct_value", "network_value", "centrality", "influence"]
    assert e.index.name == "entity" and len(e) == 300 and (e.index == np.arange(300)).all()
    for c in e.columns:
        np.testing.assert_array_equal(e[c], raw[f"/entities/{c}"][()])
    a = raw["/entities"].attrs
    assert e.attrs["network_iterations"] == a["network_iterations"] > 0
    assert e.attrs["network_converged"] is True
    assert e.attrs["network_residual"] == float(a["network_residual"].decode()) <= float(r.config["network"]["tol"])


def test_provenance_and_config(out, work):
    r, raw = out
    p = r.provenance
    assert p["software"] == "tradebal" and p["format_version"] == results.formats()["format_version"]
    assert set(p) >= {"config", "input_sha256", "version", "backend", "ranks", "created", "format_version"}
    with open(os.path.join(work, "in.h5"), "rb") as fh:
        assert p["input_sha256"] == hashlib.sha256(fh.read()).hexdigest()
    assert tb("version", cwd=work).startswith(f"tradebal {p['version']} ")
    assert p["ranks"] == 1 and p["backend"] == "cpu" and re.fullmatch(r"\d{4}-\d\d-\d\dT.*", p["created"])
    cfg = r.config
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(raw.attrs["config"].decode())
    assert list(cfg) == cp.sections() and "policy.certificates" in cfg
    assert cfg["input"]["file"] == os.path.join(work, "in.h5")
    assert cfg["assessment"]["draws"] == "8" and cfg["policy.certificates"]["ratio"] == "0.9"


def test_deals_in_chunks(out):
    r, raw = out
    whole = pd.concat(r.deals())
    parts = list(r.deals(chunk=333))
    assert len(parts) == -(-M // 333) and all(len(p) <= 333 for p in parts[:-1])
    cat = pd.concat(parts)
    pd.testing.assert_frame_equal(cat, whole)
    assert list(cat.columns) == ["status", "surplus", "bid", "funded", "outcome"]
    assert (cat.index == np.arange(M)).all() and cat.index.name == "deal"
    for c in ("surplus", "bid"):
        np.testing.assert_array_equal(cat[c], raw[f"/deals/{c}"][()])
    np.testing.assert_array_equal(cat.funded, raw["/deals/funded"][()] == 1)
    status = raw["/deals/status"][()]
    np.testing.assert_array_equal(cat.status.cat.codes, status)
    counts = cat.status.value_counts()
    np.testing.assert_array_equal([counts[s] for s in results.STATUS], np.bincount(status, minlength=3))
    # the recommended policy's outcomes are the counts of its metrics row
    rec = r.metrics.loc[r.recommended]
    oc = cat.outcome.value_counts()
    assert oc["traded"] == rec["traded"] and oc["unfunded"] == rec["unfunded"]
    assert oc["not_win_win"] == rec["not_win_win"] == counts["NOT_WIN_WIN"]
    only = pd.concat(r.deals(chunk=700, columns=["bid"]))
    assert list(only.columns) == ["bid"] and len(only) == M
    with pytest.raises(tradebal.InputError, match="out.h5: /deals/nosuch"):
        r.deals(columns=["nosuch"])  # raised at the call, not at the first chunk
    with pytest.raises(ValueError):
        r.deals(chunk=0)


def test_parties_in_chunks(out):
    r, raw = out
    P = raw["/deals/value"].shape[0]
    cat = pd.concat(r.parties(chunk=333))
    assert list(cat.columns) == ["value", "transfer", "final_value"] and len(cat) == P > M
    assert (cat.index == np.arange(P)).all() and cat.index.name == "party"
    for c in cat.columns:
        np.testing.assert_array_equal(cat[c], raw[f"/deals/{c}"][()])
    pd.testing.assert_frame_equal(cat, pd.concat(r.parties()))


def test_status_codes_match_formats():
    meaning = {i["name"]: i["meaning"] for i in results.formats()["run"]}
    assert meaning["/deals/status"].startswith(", ".join(f"{k} {s}" for k, s in enumerate(results.STATUS)))
    words = re.findall(r"(\d) ([a-z -]+?)(?:,|$)", meaning["/deals/outcome"].split(": ", 1)[1])
    assert [int(k) for k, _ in words] == list(range(5))
    for (_, text), name in zip(words, results.OUTCOME):
        assert name.split("_")[-1] in text.replace("-", "_").replace(" ", "_"), (text, name)


def test_datasets(out):
    r, raw = out
    ds = r.datasets()
    found = []
    raw.visititems(lambda n, o: found.append("/" + n) if isinstance(o, h5py.Dataset) else None)
    assert sorted(ds.name) == sorted(found)
    assert (ds.meaning != "").all(), ds[ds.meaning == ""].name.tolist()
    row = ds.set_index("name").loc["/policies/tariff10/regions/balance"]
    assert row.symbols == ["R", "T"] and row["shape"] == (4, 3) and row["dtype"] == "float64"
    assert ds.set_index("name").loc["/deals/status", "meaning"].startswith("0 WIN_WIN")


def test_sweep_views(work):
    with tradebal.open(os.path.join(work, "sweep.h5")) as s, h5py.File(os.path.join(work, "sweep.h5"), "r") as raw:
        sc = s.scenarios
        params = names(raw["/scenarios/params"].attrs["names"])
        cols = names(raw["/scenarios/metrics"].attrs["columns"])
        assert params == ["market.elasticity", "policy.tariff10.rate", "policy.certificates.ratio"]
        assert list(sc.columns) == params + cols + ["recommended"] and len(cols) == 15 * 3
        assert list(sc.index) == [0, 1, 2, 3] and sc.attrs["method"] == "lhs" and sc.attrs["scenarios"] == 4
        np.testing.assert_array_equal(sc[params].to_numpy(), raw["/scenarios/params"][()])
        np.testing.assert_array_equal(sc[cols].to_numpy(), raw["/scenarios/metrics"][()])
        assert list(sc.recommended.cat.codes) == list(raw["/scenarios/recommended"][()])
        # the LHS samples lie in the ranges of configs/sweep.ini
        assert sc["market.elasticity"].between(0.5, 3).all() and sc["policy.tariff10.rate"].between(0, 0.3).all()
        sens = s.sensitivity
        assert set(sens) == {"spearman", "src", "src_r2"}
        sp = sens["spearman"]
        assert list(sp.index) == params and list(sp.columns) == cols
        np.testing.assert_array_equal(sp.to_numpy(), raw["/sensitivity/spearman"][()])
        np.testing.assert_array_equal(sens["src_r2"].to_numpy(), raw["/sensitivity/src_r2"][()])
        # Spearman's rho recomputed by pandas from the scenarios, wherever the metric varies
        checked = 0
        for m in cols:
            if sc[m].nunique() > 1:
                for p in params:
                    assert sp.loc[p, m] == pytest.approx(sc[p].corr(sc[m], method="spearman"), abs=1e-9), (p, m)
                    checked += 1
        assert checked >= 3 * 5
        with pytest.raises(tradebal.InputError, match=r"sweep.h5: /policies/metrics: not in this file") as e:
            s.metrics
        assert e.value.dataset == "/policies/metrics"
    with tradebal.open(os.path.join(work, "oat.h5")) as o:
        assert set(o.sensitivity) == {"spearman", "src", "elasticity", "src_r2"}
        assert list(o.sensitivity["elasticity"].index) == ["market.elasticity"]


def test_errors(work, tmp_path):
    cases = {"missing.h5": "no such file", "in.h5": "tradebal input, not an output",
             "text.h5": "cannot be read as HDF5", "other.h5": "not a tradebal output"}
    (tmp_path / "text.h5").write_text("not hdf5\n")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = [1]
    for name, what in cases.items():
        path = os.path.join(work, name) if name == "in.h5" else str(tmp_path / name)
        with pytest.raises(tradebal.InputError) as e:
            tradebal.open(path)
        msg = str(e.value)
        assert msg.startswith(path + ": ") and what in msg and "\n" not in msg, msg
        assert isinstance(e.value, tradebal.TradebalError) and e.value.code == 3
    r = tradebal.open(os.path.join(work, "out.h5"))
    r.close()
    assert "closed" in repr(r)
    with pytest.raises(tradebal.InputError, match="closed"):
        r.metrics


# ---- a 10^7-deal output read in chunks with bounded memory ----
DEALS, PARTIES, BOUND_MB = 10_000_000, 25_000_000, 300

READER = textwrap.dedent("""
    import sys, numpy as np, tradebal
    path, mode = sys.argv[1], sys.argv[2]
    def rss(key):  # MB; VmRSS: resident now, VmHWM: the peak so far (= getrusage's ru_maxrss)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith(key + ":")) / 1024
    r = tradebal.open(path)
    before = rss("VmRSS")
    counts, surplus, value, n = np.zeros(3, np.int64), 0.0, 0.0, 0
    if mode == "chunks":
        for d in r.deals():
            counts += np.bincount(d.status.cat.codes.to_numpy(), minlength=3)
            surplus += d.surplus.sum()
        for p in r.parties():
            value += p.value.sum()
            n += len(p)
    else:  # the control: the same data read whole
        whole = {c: r.h5["/deals/" + c][()] for c in ("status", "surplus", "bid", "value", "transfer", "final_value")}
        counts, surplus, value, n = np.bincount(whole["status"]), whole["surplus"].sum(), whole["value"].sum(), len(whole["value"])
    print(before, rss("VmHWM"), *counts, surplus, value, n)
""")


def write_big(path):
    """An output-shaped file: /deals/status = i % 3, surplus = i / 2, bid = 1, value = j / 4, transfer = 0,
    final_value = value, written a million rows at a time; the root attributes tradebal.open needs."""
    step = 1_000_000
    with h5py.File(path, "w") as f:
        f.attrs["software"] = np.bytes_("tradebal")
        f.attrs["format_version"] = np.int64(results.formats()["format_version"])
        ds = {n: f.create_dataset(f"/deals/{n}", (DEALS,), t) for n, t in (("status", "u1"), ("surplus", "f8"), ("bid", "f8"))}
        for a in range(0, DEALS, step):
            i = np.arange(a, a + step)
            ds["status"][a:a + step] = i % 3
            ds["surplus"][a:a + step] = i / 2
            ds["bid"][a:a + step] = 1.0
        ps = {n: f.create_dataset(f"/deals/{n}", (PARTIES,), "f8") for n in ("value", "transfer", "final_value")}
        for a in range(0, PARTIES, step):
            v = np.arange(a, a + step) / 4
            ps["value"][a:a + step] = v
            ps["transfer"][a:a + step] = 0.0
            ps["final_value"][a:a + step] = v


def measure(path, mode):
    p = subprocess.run([sys.executable, "-c", READER, path, mode], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(REPO, "python")))
    assert p.returncode == 0, p.stderr
    f = p.stdout.split()
    return float(f[0]), float(f[1]), [int(x) for x in f[2:5]], float(f[5]), float(f[6]), int(f[7])


def test_bounded_memory(work, capsys):
    path = os.path.join(work, "big.h5")
    try:
        write_big(path)
        size_mb = os.path.getsize(path) / 2**20
        results_ = {mode: measure(path, mode) for mode in ("chunks", "whole")}
    finally:
        if os.path.exists(path):
            os.remove(path)
    # growth: the peak resident size while reading minus the resident size just before (after the imports)
    growth = {mode: r[1] - r[0] for mode, r in results_.items()}
    with capsys.disabled():  # shown in ctest -V output too
        print(f"\n{DEALS:.0e} deals, {PARTIES:.1e} parties, file {size_mb:.0f} MB: peak RSS growth reading in chunks "
              f"{growth['chunks']:.0f} MB (bound {BOUND_MB} MB), reading whole {growth['whole']:.0f} MB; "
              f"resident before reading {results_['chunks'][0]:.0f} MB")
    _, _, counts, surplus, value, n = results_["chunks"]
    # what was read is the whole file: closed forms of what write_big wrote
    assert counts == [len(range(k, DEALS, 3)) for k in range(3)]
    assert surplus == (DEALS - 1) * DEALS / 4 and value == (PARTIES - 1) * PARTIES / 8 and n == PARTIES
    assert results_["whole"][2:] == results_["chunks"][2:]
    assert growth["chunks"] < BOUND_MB, f"reading in chunks grew the peak RSS by {growth['chunks']:.0f} MB"
    # the measurement can tell: holding the same data whole needs more than the bound
    assert growth["whole"] > BOUND_MB and size_mb > 2 * BOUND_MB
