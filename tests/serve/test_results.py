"""The results summary and diff (issue 23, point 3: what GET /v1/runs/{id}/summary and /diff/{other} answer),
through `tradebal serve summary|diff`: two `tradebal run`s of one generated input that differ in one config key
(model.other_factor, which moves deal statuses), a sweep, and a run of a different input. Every number is checked
against h5py reading the same files and numpy computing the same counts; every answer validates against the
RunSummary / RunDiff schemas of docs/openapi.json."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import h5py
import jsonschema
import numpy as np
import pytest

from conftest import OPENAPI, TB

RESOLVER = jsonschema.RefResolver.from_schema(OPENAPI)
# the runs are MPI programs: under the sanitizer build Open MPI's own leaks are not ours to report (the serve
# commands, MPI-free, keep the leak check CTest gives them)
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
CONFIG = """[input]
file = ../input.h5
[output]
file = out.h5
[model]
other_factor = {other}
margin_of_safety = 0.3
[assessment]
draws = 6
seed = 11
[policy.tariff10]
kind = tariff
rate = 0.1
[policy.certificates]
kind = certificates
ratio = 0.9
expiry = 2
floor = 0.01
"""


def generate(path, entities, deals, seed):
    p = subprocess.run([TB, "generate", "-o", path, "--entities", str(entities), "--deals", str(deals), "--seed",
                        str(seed), "--overwrite"], capture_output=True, text=True, env=ENV)
    assert p.returncode == 0, p.stderr


def run(folder, text):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "run.ini"), "w") as fh:
        fh.write(text)
    p = subprocess.run([TB, "run", "-c", os.path.join(folder, "run.ini"), "--overwrite"], capture_output=True,
                       text=True, env=ENV)
    assert p.returncode == 0, p.stderr
    return os.path.join(folder, "out.h5")


def serve(*args, cwd, schema=None):
    p = subprocess.run([TB, "serve", *args], capture_output=True, text=True, cwd=cwd)
    if schema is None:
        return p
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{schema}"}, resolver=RESOLVER).validate(doc)
    return doc


@pytest.fixture(scope="module")
def work():
    base = os.environ.get("TB_WORK")
    if base:
        os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix="results-", dir=base)
    generate(os.path.join(d, "input.h5"), entities=150, deals=1500, seed=3)
    generate(os.path.join(d, "other_input.h5"), entities=150, deals=1200, seed=4)
    outs = {"a": run(os.path.join(d, "a"), CONFIG.format(other=0.5)),
            "b": run(os.path.join(d, "b"), CONFIG.format(other=0.2)),
            "c": run(os.path.join(d, "c"), CONFIG.format(other=0.5).replace("../input.h5", "../other_input.h5")),
            "sweep": run(os.path.join(d, "sweep"), CONFIG.format(other=0.5) +
                         "[sweep]\nmethod = lhs\nsamples = 6\nseed = 5\nmarket.elasticity = 0.5:3\n"
                         "policy.tariff10.rate = 0:0.3\n")}
    yield d, outs
    shutil.rmtree(d, ignore_errors=True)


def metrics_of(path):
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f["/policies/names"][()]]
        cols = [c.decode() for c in f["/policies/metrics"].attrs["columns"]]
        m = f["/policies/metrics"][()]
    return {n: {c: m[i, j] for j, c in enumerate(cols)} for i, n in enumerate(names)}, cols


def as_json(x):
    return float(x) if np.isfinite(x) else None


def test_summary_is_the_files_numbers(work):
    d, outs = work
    s = serve("summary", "a/out.h5", cwd=d, schema="RunSummary")
    assert s["kind"] == "run" and s["file"] == "a/out.h5"
    metrics, cols = metrics_of(outs["a"])
    with h5py.File(outs["a"], "r") as f:
        attrs = f.attrs
        assert s["identity"]["input_sha256"] == attrs["input_sha256"].decode()
        assert s["identity"]["version"] == attrs["version"].decode()
        assert s["identity"]["format_version"] == int(attrs["format_version"])
        assert s["identity"]["config_sha256"] == hashlib.sha256(attrs["config"]).hexdigest()
        assert s["recommended"] == f["/policies"].attrs["recommended"].decode()
        status, outcome = f["/deals/status"][()], f["/deals/outcome"][()]
        deltas = f["/policies/deltas"][()]
        dcols = [c.decode() for c in f["/policies/deltas"].attrs["columns"]]
        assert s["sizes"]["deals"] == status.size and s["sizes"]["parties"] == f["/deals/value"].size
        assert s["sizes"]["entities"] == f["/entities/direct_value"].size
        assert [s["sizes"]["regions"], s["sizes"]["periods"]] == list(f["/regions/exports"].shape)
        assert s["sizes"]["draws"] == f["/policies/draw_levels"].shape[0] == 6
        assert s["assessment"]["sigma_rep"] == float(f["/policies"].attrs["sigma_rep"])
        funded = int(np.count_nonzero(f["/deals/funded"][()] == 1))
    assert s["columns"] == cols
    assert [p["name"] for p in s["policies"]] == list(metrics)
    for i, p in enumerate(s["policies"]):
        assert p["metrics"] == {c: as_json(v) for c, v in metrics[p["name"]].items()}  # bitwise, NaN as null
        assert p["deltas"] == {c: as_json(deltas[i, j]) for j, c in enumerate(dcols)}
        assert p["recommended"] == (p["name"] == s["recommended"])
        for key in ("WAR", "WAR_B", "q05", "q95", "GDP", "Jobs", "Balance"):
            assert key in p["metrics"]
    counts = np.bincount(status, minlength=3)
    assert s["deals"]["status"] == {"win_win": counts[0], "repairable": counts[1], "not_win_win": counts[2]}
    oc = np.bincount(outcome, minlength=5)
    assert list(s["deals"]["outcome"].values()) == list(oc[:5]) and s["deals"]["funded"] == funded


def test_a_run_diffed_with_itself_moves_nothing(work):
    d, outs = work
    diff = serve("diff", "a/out.h5", "a/out.h5", "--tolerance", "0", cwd=d, schema="RunDiff")
    assert diff["moved"] == [] and diff["config_changes"] == [] and diff["same_input"] and diff["same_config"]
    assert diff["deals"]["status_changed"] == 0 and diff["deals"]["outcome_changed"] == 0
    assert not diff["recommended"]["changed"]
    for p in diff["policies"]:
        for c in p["metrics"].values():
            assert c["moved"] is False and c["a"] == c["b"]
    m = np.array(diff["deals"]["status_transitions"])
    assert (m == np.diag(np.diag(m))).all() and m.sum() == diff["deals"]["count"]


def moved(a, b, tol):
    if a is None and b is None:
        return False
    if a is None or b is None:
        return True
    return a != b and abs(b - a) > tol * max(abs(a), abs(b))


@pytest.mark.parametrize("tol", [None, "0", "1e-3", "0.5"])
def test_diff_of_two_runs(work, tol):
    d, outs = work
    args = ["diff", "a/out.h5", "b/out.h5"] + (["--tolerance", tol] if tol else [])
    diff = serve(*args, cwd=d, schema="RunDiff")
    t = float(tol) if tol else 1e-9
    assert diff["tolerance"] == t
    assert diff["same_input"] and not diff["same_config"]
    # the files' absolute paths are shown below the data root (here: the working folder), ".." folded
    assert diff["config_changes"] == [{"key": "output.file", "a": "a/out.h5", "b": "b/out.h5"},
                                      {"key": "model.other_factor", "a": "0.5", "b": "0.2"}]
    ma, _ = metrics_of(outs["a"])
    mb, _ = metrics_of(outs["b"])
    want_moved = []
    for p in diff["policies"]:
        for c, ch in p["metrics"].items():
            a, b = as_json(ma[p["name"]][c]), as_json(mb[p["name"]][c])
            assert (ch["a"], ch["b"]) == (a, b)
            if a is not None and b is not None:
                assert ch["delta"] == b - a
                assert ch["relative"] == ((b - a) / abs(a) if a else None)
            assert ch["moved"] == moved(a, b, t), (p["name"], c, a, b)
            if ch["moved"]:
                want_moved.append((p["name"], c))
    assert [(m["policy"], m["metric"]) for m in diff["moved"]] == want_moved
    if tol in (None, "0"):
        assert want_moved  # the config change does move metrics
    with h5py.File(outs["a"], "r") as fa, h5py.File(outs["b"], "r") as fb:
        sa, sb = fa["/deals/status"][()], fb["/deals/status"][()]
        oa, ob = fa["/deals/outcome"][()], fb["/deals/outcome"][()]
    assert diff["deals"]["status_changed"] == int(np.count_nonzero(sa != sb)) > 0
    assert diff["deals"]["outcome_changed"] == int(np.count_nonzero(oa != ob))
    trans = np.zeros((3, 3), dtype=int)
    np.add.at(trans, (sa, sb), 1)
    assert diff["deals"]["status_transitions"] == trans.tolist()


def test_different_deal_counts_are_refused(work):
    d, outs = work
    p = serve("diff", "a/out.h5", "c/out.h5", cwd=d)
    assert p.returncode == 3 and "1500 deals" in p.stderr and "1200" in p.stderr, p.stderr


def test_sweep_summary_and_diff(work):
    d, outs = work
    s = serve("summary", "sweep/out.h5", cwd=d, schema="RunSummary")
    assert s["kind"] == "sweep"
    with h5py.File(outs["sweep"], "r") as f:
        names = [n.decode() for n in f["/policies/names"][()]]
        cols = [c.decode() for c in f["/scenarios/metrics"].attrs["columns"]]
        m = f["/scenarios/metrics"][()]
        best = f["/scenarios/recommended"][()]
        params = f["/scenarios/params"][()]
        pnames = [n.decode() for n in f["/scenarios/params"].attrs["names"]]
        assert s["sweep"] == {"method": "lhs", "scenarios": 6, "shard": 0, "shards": 1}
    assert s["sizes"]["scenarios"] == 6 and s["sizes"]["parameters"] == 2
    assert [p["name"] for p in s["policies"]] == names
    for i, p in enumerate(s["policies"]):
        assert p["recommended_in"] == int(np.count_nonzero(best == i))
        for j, c in enumerate(cols):
            pol, metric = c.rsplit("/", 1)
            if pol != p["name"]:
                continue
            col = m[:, j][np.isfinite(m[:, j])]
            st = p["metrics"][metric]
            assert st["count"] == col.size
            if col.size:
                assert st["min"] == col.min() and st["max"] == col.max()
                assert st["mean"] == pytest.approx(col.mean(), rel=1e-12, abs=1e-300)
            else:
                assert st["min"] is None and st["mean"] is None
    assert s["parameters"] == [{"name": n, "min": params[:, j].min(), "max": params[:, j].max()}
                               for j, n in enumerate(pnames)]
    diff = serve("diff", "sweep/out.h5", "sweep/out.h5", cwd=d, schema="RunDiff")
    assert diff["kind"] == "sweep" and diff["moved"] == [] and diff["deals"] is None
    p = serve("diff", "a/out.h5", "sweep/out.h5", cwd=d)
    assert p.returncode == 3 and "like with like" in p.stderr


def test_not_an_output(work):
    d, _ = work
    p = serve("summary", "input.h5", cwd=d)
    assert p.returncode == 3 and "/policies/metrics" in p.stderr and d not in p.stderr
    p = serve("summary", "missing.h5", cwd=d)
    assert p.returncode == 3
    with open(os.path.join(d, "text.h5"), "w") as fh:
        fh.write("not HDF5")
    p = serve("diff", "a/out.h5", "text.h5", cwd=d)
    assert p.returncode == 3 and "text.h5" in p.stderr and d not in p.stderr
    assert serve("diff", "a/out.h5", cwd=d).returncode == 2
    assert serve("diff", "a/out.h5", "a/out.h5", "--tolerance", "-1", cwd=d).returncode == 2
